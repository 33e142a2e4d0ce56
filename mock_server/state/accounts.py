"""The mock's accounts: API keys, how each one signs, what it may do.

Loaded from a keys file (`--keys`) or, by default, the demo account: Binance's own
signed-endpoint example pair, so that examples from Binance's documentation work as they are.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from mock_server.rules.files import read_table
from mock_server.rules.security import API_KEY_FORMAT
from mock_server.rules.signature import keyed_hmac, verify_hmac, verify_with_public_key

KeyType = Literal["hmac", "rsa", "ed25519"]
KEY_TYPES: tuple[KeyType, ...] = ("hmac", "rsa", "ed25519")

# Binance's own signed-endpoint example pair (docs/fidelity.md, "The demo account").
DEMO_API_KEY = "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
DEMO_SECRET = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"

MARGIN_PERMISSION = "margin"
UNIVERSAL_TRANSFER_PERMISSION = "universal_transfer"  # "Permits Universal Transfer"
TRADE_PERMISSION = "trade"  # "Enable Spot & Margin Trading": placing and cancelling orders
DEFAULT_PERMISSIONS = frozenset(
    {"reading", MARGIN_PERMISSION, UNIVERSAL_TRANSFER_PERMISSION, TRADE_PERMISSION}
)


@dataclass(frozen=True, slots=True)
class Account:
    api_key: str
    key_type: KeyType = "hmac"
    secret: str | None = field(default=None, repr=False)
    public_key: Any = field(default=None, repr=False)
    permissions: frozenset[str] = DEFAULT_PERMISSIONS
    margin_account: bool = True
    _keyed: Any = field(default=None, init=False, repr=False, compare=False)  # signature.keyed_hmac

    def __post_init__(self) -> None:
        if self.key_type == "hmac" and self.secret is not None:
            object.__setattr__(self, "_keyed", keyed_hmac(self.secret))

    def verify(self, payload: bytes, signature: str) -> bool:
        if self.key_type == "hmac":
            return verify_hmac(self._keyed, payload, signature)
        return verify_with_public_key(self.public_key, payload, signature)


# Every journal entry masks its key, and the keys in use are few: remember them. Bounded in
# count and length, since a client may send any header (a real key has 64 characters).
_MASKED: dict[str, str] = {}
_MASKED_MAX, _MASKED_KEY_MAX = 1_024, 128


def mask_key(api_key: str) -> str:
    """Enough of a key to tell keys apart, never more than half of it."""
    masked = _MASKED.get(api_key)
    if masked is None:
        masked = _mask(api_key)
        if len(_MASKED) < _MASKED_MAX and len(api_key) <= _MASKED_KEY_MAX:
            _MASKED[api_key] = masked
    return masked


def _mask(api_key: str) -> str:
    if len(api_key) >= 16:
        return f"{api_key[:4]}...{api_key[-4:]}"
    if len(api_key) >= 8:
        return f"{api_key[:2]}..."
    return "*" * len(api_key)


def not_an_account(api_key: Any, accounts: Iterable[str]) -> str:
    """The refusal of a key that is none of the mock's accounts (masked: it may be a real key)."""
    keys = list(accounts)
    named = repr(mask_key(api_key)) if isinstance(api_key, str) else repr(api_key)
    shown = ", ".join(mask_key(a) for a in keys)
    hint = _typo_hint(api_key, keys) if isinstance(api_key, str) else ""
    return f"apiKey {named}{hint} is not an account of this mock; its accounts: {shown} (--keys sets them)"


def _typo_hint(api_key: str, keys: list[str]) -> str:
    """What makes a mistyped key visible without showing more of it than the mask: its length
    when no account's matches, else where it differs from an account's key it nearly is."""
    same_length = [k for k in keys if len(k) == len(api_key)]
    if not same_length:
        lengths = " or ".join(str(n) for n in sorted({len(k) for k in keys}))
        return f" ({len(api_key)} characters; the accounts' keys have {lengths})"
    for key in same_length:
        differ = [i + 1 for i, (a, b) in enumerate(zip(api_key, key, strict=True)) if a != b]
        if len(differ) <= 3:  # a typo; more would say which characters two real keys share
            where = ", ".join(str(i) for i in differ)
            return f" (differs from {mask_key(key)} at character {where} of {len(key)})"
    return ""


def demo_account() -> Account:
    return Account(api_key=DEMO_API_KEY, key_type="hmac", secret=DEMO_SECRET)


def _load_public_key(pem: str, key_type: KeyType, where: str) -> Any:
    try:
        key = serialization.load_pem_public_key(pem.encode())
    except ValueError as exc:
        raise ValueError(f"{where}: publicKey is not a PEM public key ({exc})") from None
    wanted = rsa.RSAPublicKey if key_type == "rsa" else ed25519.Ed25519PublicKey
    if not isinstance(key, wanted):
        raise ValueError(f"{where}: publicKey is not an {key_type} key")
    return key


def account_from_dict(data: Mapping[str, Any], where: str, base: Path | None = None) -> Account:
    """One account of a keys file, validated with messages that name the field."""
    api_key = data.get("apiKey")
    if not isinstance(api_key, str) or not API_KEY_FORMAT.fullmatch(api_key):
        raise ValueError(f"{where}: apiKey must be 1 to 128 letters and digits")
    key_type = data.get("keyType", "hmac")
    if key_type not in KEY_TYPES:
        raise ValueError(f"{where}: keyType must be one of {', '.join(KEY_TYPES)}")
    perms = data.get("permissions", sorted(DEFAULT_PERMISSIONS))
    if not isinstance(perms, list) or not all(isinstance(p, str) for p in perms):
        raise ValueError(f"{where}: permissions must be a list of strings")
    margin = data.get("marginAccount", True)
    if not isinstance(margin, bool):
        raise ValueError(f"{where}: marginAccount must be true or false")
    secret: str | None = None
    public_key: Any = None
    if key_type == "hmac":
        secret = data.get("secret")
        if not isinstance(secret, str) or not secret:
            raise ValueError(f"{where}: an hmac account needs a non-empty secret")
    else:
        pem = data.get("publicKey")
        if pem is None and isinstance(data.get("publicKeyFile"), str):
            pem_path = Path(data["publicKeyFile"])
            if base is not None and not pem_path.is_absolute():
                pem_path = base / pem_path
            pem = pem_path.read_text(encoding="utf-8")
        if not isinstance(pem, str):
            raise ValueError(f"{where}: an {key_type} account needs publicKey (PEM) or publicKeyFile")
        public_key = _load_public_key(pem, key_type, where)
    return Account(
        api_key=api_key,
        key_type=key_type,
        secret=secret,
        public_key=public_key,
        permissions=frozenset(p.lower() for p in perms),
        margin_account=margin,
    )


def load_keys(path: str | Path) -> list[Account]:
    """A keys file (JSON or TOML): {"accounts": [{apiKey, keyType, secret|publicKey, ...}]}."""
    p = Path(path)
    data: Any = read_table(p)
    entries = data.get("accounts") if isinstance(data, dict) else data
    if not isinstance(entries, list) or not entries:
        raise ValueError(f"{p}: expected a non-empty list under 'accounts'")
    accounts = [account_from_dict(e, f"{p}: accounts[{i}]", p.parent) for i, e in enumerate(entries)]
    seen: set[str] = set()
    for i, acc in enumerate(accounts):
        if acc.api_key in seen:
            raise ValueError(f"{p}: accounts[{i}]: apiKey appears twice")
        seen.add(acc.api_key)
    return accounts


class KeyStore:
    def __init__(self, accounts: Iterable[Account]) -> None:
        self._by_key = {a.api_key: a for a in accounts}

    def get(self, api_key: str) -> Account | None:
        return self._by_key.get(api_key)

    def accounts(self) -> list[Account]:
        return list(self._by_key.values())

    def first(self) -> Account:
        return next(iter(self._by_key.values()))

"""Talking to a target: signing, live safety, redaction, and the control API when there is one.

Everything the suite sends goes through `Target`, so the safety rules hold for every check:
only GET on Binance paths, at most one request per `min_interval_s` (2 per second live),
a request budget, a weight watermark, and a full stop at the first 429 or 418. The signing
code is written here from Binance's documentation (docs/fidelity.md §1.2), not imported from the mock,
so a signing bug in the mock cannot hide behind the same bug in the suite.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote, unquote

import requests
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa
from requests.structures import CaseInsensitiveDict

from binance_mock.contracts.facts import mask_key
from binance_mock.contracts.outcomes import Aborted, Skipped

KeyType = Literal["hmac", "rsa", "ed25519"]
PATH = "/sapi/v1/margin/transfer"  # the exact tier's signed endpoint: the default of every signed call
WEIGHT_HEADER = "X-SAPI-USED-IP-WEIGHT-1M"
Params = Sequence[tuple[str, str | int]]
# How a signed request is made wrong on purpose (Target.signed_query says what each sends).
Spoil = Literal["missing", "empty", "zeros", "other_secret", "upper", "swapcase", "first"]


@dataclass(frozen=True)
class Credentials:
    api_key: str = field(repr=False)
    key_type: KeyType = "hmac"
    secret: str | None = field(default=None, repr=False)
    private_key: Any = field(default=None, repr=False)

    @classmethod
    def load(
        cls, api_key: str, key_type: KeyType, secret: str | None = None, private_key_path: str | None = None
    ) -> Credentials:
        if key_type == "hmac":
            if not secret:
                raise ValueError("an hmac key needs --secret (or BINANCE_API_SECRET)")
            return cls(api_key, key_type, secret=secret)
        if not private_key_path:
            raise ValueError(f"an {key_type} key needs --private-key PATH (PKCS#8 PEM)")
        key = serialization.load_pem_private_key(Path(private_key_path).read_bytes(), password=None)
        wanted = rsa.RSAPrivateKey if key_type == "rsa" else ed25519.Ed25519PrivateKey
        if not isinstance(key, wanted):
            raise ValueError(f"--private-key is not an {key_type} private key")
        return cls(api_key, key_type, private_key=key)

    def sign(self, payload: bytes) -> str:
        """The signature as it goes into the query string (percent-encoded for base64 forms)."""
        if self.key_type == "hmac":
            assert self.secret is not None
            return hmac.new(self.secret.encode(), payload, hashlib.sha256).hexdigest()
        if self.key_type == "rsa":
            raw = self.private_key.sign(payload, padding.PKCS1v15(), hashes.SHA256())
        else:
            raw = self.private_key.sign(payload)
        return quote(base64.b64encode(raw).decode(), safe="")

    def secrets(self) -> list[str]:
        out = [self.api_key]
        if self.secret:
            out.append(self.secret)
        return out


class Redactor:
    """Removes the key, the secret and every signature from any text the suite shows or writes."""

    _SIG = re.compile(r"(signature=)[^&\s\"']*")

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: set[str] = {s for s in secrets if s}

    def add(self, *values: str) -> None:
        self._secrets.update(v for v in values if v and len(v) >= 4)

    def __call__(self, text: str) -> str:
        text = self._SIG.sub(r"\1<redacted>", text)
        # Longest first, so a secret that contains another is removed whole.
        for s in sorted(self._secrets, key=len, reverse=True):
            if s in text:
                text = text.replace(s, "<redacted>")
        return text


@dataclass
class Answer:
    status: int
    headers: CaseInsensitiveDict[str]
    body: bytes
    elapsed_s: float

    @property
    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    @property
    def media_type(self) -> str:
        return self.headers.get("Content-Type", "").split(";")[0].strip().lower()

    def describe(self) -> str:
        return f"HTTP {self.status} {self.body[:300].decode('utf-8', 'replace')}"


@dataclass
class Safety:
    min_interval_s: float = 0.0  # live: 0.5 (2 requests per second, the page's -21003 advice)
    max_requests: int | None = None
    max_weight: int = 6_000  # stop well before the documented 12,000 per minute
    allow_writes: bool = False  # --allow-writes: the one check that moves funds may run


class Target:
    def __init__(self, base_url: str, creds: Credentials, safety: Safety, timeout_s: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.creds = creds
        self.safety = safety
        self.timeout_s = timeout_s
        self.redact = Redactor(creds.secrets())
        self.session = requests.Session()
        self.requests_sent = 0
        self.last_weight: int | None = None
        self._last_end = 0.0

    # --- the one door every request goes through ---

    def _send(self, method: str, url: str, headers: dict[str, str], body: bytes | None = None) -> Answer:
        if self.safety.max_requests is not None and self.requests_sent >= self.safety.max_requests:
            raise Aborted(f"request budget of {self.safety.max_requests} spent")
        wait = self._last_end + self.safety.min_interval_s - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        self.requests_sent += 1
        start = time.monotonic()
        try:
            r = self.session.request(method, url, headers=headers, data=body, timeout=self.timeout_s)
        finally:
            self._last_end = time.monotonic()
        answer = Answer(r.status_code, r.headers, r.content, self._last_end - start)
        self._watch(answer)
        return answer

    def _watch(self, answer: Answer) -> None:
        if answer.status in (418, 429):
            raise Aborted(f"target answered HTTP {answer.status}: stopping at once ({answer.describe()})")
        used = answer.headers.get(WEIGHT_HEADER)
        if used is not None and used.strip().isdigit():
            self.last_weight = int(used)
            if self.last_weight >= self.safety.max_weight:
                raise Aborted(
                    f"{WEIGHT_HEADER} reached {self.last_weight} (watermark {self.safety.max_weight})"
                )

    # --- Binance calls: read-only GETs ---

    def raw_get(self, path: str, query: str = "", api_key: str | None = "", method: str = "GET") -> Answer:
        """A request with a query string sent byte for byte; `api_key=""` means our own key."""
        if method not in ("GET", "HEAD"):
            raise ValueError("the contract suite only reads")
        headers: dict[str, str] = {}
        key = self.creds.api_key if api_key == "" else api_key
        if key is not None:
            headers["X-MBX-APIKEY"] = key
        url = f"{self.base_url}{path}" + (f"?{query}" if query else "")
        return self._send(method, url, headers)

    def encode(self, params: Params) -> str:
        # Binance's own SDK form: urlencode, caller's order (docs/fidelity.md §12).
        return "&".join(f"{quote(str(k), safe='')}={quote(str(v), safe='')}" for k, v in params)

    def signature_for(self, query: str) -> str:
        sig = self.creds.sign(query.encode())
        self.redact.add(sig)
        return sig

    def signed_query(
        self,
        params: Params,
        ts: int | str | None,
        spoil: Spoil | None = None,
        tamper: tuple[str, str] | None = None,
    ) -> str:
        """The query string of a signed request: the payload (`params`, then `timestamp=ts`;
        no timestamp when `ts` is None), then `signature=` over exactly those bytes. Or spoiled:
        - "missing": the payload alone; "empty": `signature=` with no value;
        - "zeros": 64 zeros (a well-formed HMAC of nothing); "other_secret": an HMAC of the
          payload with a random secret, whatever our key type;
        - "upper": our HMAC in upper-case hex (Binance accepts it); "swapcase": our base64
          signature with its letters' case swapped, percent-encoded again;
        - "first": our signature before the payload instead of after it.
        `tamper=(old, new)`: after signing, the payload sent has its first `old` made `new`.
        Every signature made from our key is added to the redactor."""
        payload = self.encode([*params, *([("timestamp", ts)] if ts is not None else [])])
        if spoil == "missing":
            return payload
        if spoil == "empty":
            sig = ""
        elif spoil == "zeros":
            sig = "0" * 64
        elif spoil == "other_secret":
            sig = hmac.new(secrets.token_hex(32).encode(), payload.encode(), hashlib.sha256).hexdigest()
        elif spoil == "upper":
            sig = self.signature_for(payload).upper()
            self.redact.add(sig)
        elif spoil == "swapcase":
            sig = quote(unquote(self.signature_for(payload)).swapcase(), safe="")
            self.redact.add(sig)
        else:
            sig = self.signature_for(payload)
        sent = payload.replace(*tamper, 1) if tamper else payload
        return f"signature={sig}&{sent}" if spoil == "first" else f"{sent}&signature={sig}"

    def signed_get(
        self,
        params: Params,
        ts: int | str | None,
        path: str = PATH,
        api_key: str | None = "",
        spoil: Spoil | None = None,
        tamper: tuple[str, str] | None = None,
    ) -> Answer:
        """A signed GET of `path` (default the margin transfer history): see `signed_query`;
        `api_key=""` sends our own key, None none."""
        return self.raw_get(path, self.signed_query(params, ts, spoil, tamper), api_key=api_key)

    def public_get(self, path: str) -> Answer:
        return self.raw_get(path, api_key=None)

    def signed_post(self, path: str, params: Params, ts: int, changes_nothing: bool = False) -> Answer:
        """A signed POST with the parameters in the body, as Binance's SDKs send it: only with
        --allow-writes, which the user gives knowing what the writing check does; or for a call
        that `changes_nothing` (an order test, which never reaches the matching engine; any
        call to a mock, which the caller has found by its control API)."""
        if not (self.safety.allow_writes or changes_nothing):
            raise ValueError("the contract suite only reads unless run with --allow-writes")
        headers = {"X-MBX-APIKEY": self.creds.api_key, "Content-Type": "application/x-www-form-urlencoded"}
        return self._send("POST", f"{self.base_url}{path}", headers, self.signed_query(params, ts).encode())


class Control:
    """The mock's control API (docs/control-api.md); only used on targets that answer /_mock/health."""

    def __init__(self, target: Target) -> None:
        self.t = target

    def _call(self, method: str, path: str, payload: Any = None) -> Any:
        body = json.dumps(payload).encode() if payload is not None else None
        headers = {"Content-Type": "application/json"} if body is not None else {}
        answer = self.t._send(method, f"{self.t.base_url}/_mock{path}", headers, body)
        if answer.status >= 300:
            raise Skipped(f"control API {method} /_mock{path} answered {answer.describe()}")
        return answer.json

    @staticmethod
    def probe(target: Target) -> dict[str, Any] | None:
        """The health document when the target has a control API, else None."""
        try:
            answer = target.raw_get("/_mock/health", api_key=None)
        except requests.RequestException:
            return None
        data = answer.json
        if answer.status == 200 and answer.media_type == "application/json" and isinstance(data, dict):
            return data
        return None

    def freeze(self, now_ms: int) -> None:
        self._call("PUT", "/clock", {"now_ms": now_ms})

    def real_clock(self) -> None:
        self._call("PUT", "/clock", {"mode": "real"})

    def clear_transfers(self) -> None:
        self._call("DELETE", "/transfers")

    def add_transfers(self, api_key: str, rows: list[dict[str, Any]]) -> None:
        self._call("POST", "/transfers", {"apiKey": api_key, "rows": rows})

    def inject(self, code: int | None = None, **rule: Any) -> Any:
        payload = {k: v for k, v in rule.items() if v is not None}
        if code is not None:
            payload["code"] = code
        return self._call("POST", "/faults", payload)

    def clear_faults(self) -> None:
        self._call("DELETE", "/faults")

    def faults(self) -> Any:
        return self._call("GET", "/faults")

    def pacing(self, min_interval_ms: int) -> None:
        self._call("PUT", "/pacing", {"min_interval_ms": min_interval_ms})

    def reset(self) -> None:
        self._call("POST", "/reset")

    def set_balance(self, api_key: str, asset: str, free: str) -> None:
        # The key masked, as the journal shows it: a full key in a URL would land in access logs.
        self._call("PUT", f"/accounts/{mask_key(api_key)}/balances", {"asset": asset, "free": free})

    def set_price(self, symbol: str, price: str) -> None:
        self._call("PUT", f"/market/{symbol}", {"price": price})

    def release_price(self, symbol: str) -> None:
        self._call("DELETE", f"/market/{symbol}")

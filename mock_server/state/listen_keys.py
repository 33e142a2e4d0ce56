"""The listenKeys and listenTokens of user data streams: which account and wallet each names,
and until when.

A key lives 60 minutes of the mock's clock from its start or its last keepalive (so a test
expires one by moving the clock); starting a stream while the account has an active key for the
same wallet answers that key again and extends it, as Binance documents. A listenToken (the
margin wallets' way to the WebSocket API's user data) is new at every request and lives the
validity it was asked for; nothing extends it. The caller holds the world's lock.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace

LIFETIME_MS = 60 * 60_000
TOKEN_LIFETIME_MS = 24 * 60 * 60_000  # a listenToken's default validity, and its longest
_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_TOKEN_ALPHABET = _ALPHABET + "+/"  # Binance's example token has a '+'


@dataclass(frozen=True, slots=True)
class ListenKey:
    key: str
    api_key: str
    wallet: str  # SPOT, MARGIN or ISOLATED:<SYMBOL>: whose events the stream carries
    expires_ms: int


@dataclass
class ListenKeys:
    keys: dict[str, ListenKey] = field(default_factory=dict)
    made: int = 0  # keys made so far: the next key's seed
    tokens: dict[str, ListenKey] = field(default_factory=dict)  # listenTokens, also expired ones

    def active(self, key: str, now_ms: int) -> ListenKey | None:
        found = self.keys.get(key)
        return found if found is not None and found.expires_ms > now_ms else None

    def token(self, seed: int, api_key: str, wallet: str, expires_ms: int) -> ListenKey:
        """A new listenToken for the account's wallet, valid until `expires_ms`."""
        made = ListenKey(_key(seed, len(self.tokens) + 1, "listenToken", 70, _TOKEN_ALPHABET), api_key, wallet,
                         expires_ms)  # fmt: skip
        self.tokens[made.key] = made
        return made

    def active_token(self, token: str, now_ms: int) -> ListenKey | None:
        found = self.tokens.get(token)
        return found if found is not None and found.expires_ms > now_ms else None

    def start(self, seed: int, api_key: str, wallet: str, now_ms: int) -> ListenKey:
        for k in self.keys.values():
            if k.api_key == api_key and k.wallet == wallet and k.expires_ms > now_ms:
                return self._put(replace(k, expires_ms=now_ms + LIFETIME_MS))
        self.made += 1
        return self._put(ListenKey(_key(seed, self.made), api_key, wallet, now_ms + LIFETIME_MS))

    def keepalive(self, key: str, api_key: str, wallet: str, now_ms: int) -> bool:
        found = self._mine(key, api_key, wallet, now_ms)
        if found is not None:
            self._put(replace(found, expires_ms=now_ms + LIFETIME_MS))
        return found is not None

    def close(self, key: str, api_key: str, wallet: str, now_ms: int) -> bool:
        found = self._mine(key, api_key, wallet, now_ms)
        if found is not None:
            del self.keys[key]
        return found is not None

    def _mine(self, key: str, api_key: str, wallet: str, now_ms: int) -> ListenKey | None:
        found = self.active(key, now_ms)
        return found if found is not None and (found.api_key, found.wallet) == (api_key, wallet) else None

    def _put(self, key: ListenKey) -> ListenKey:
        self.keys[key.key] = key
        return key

    def snapshot(self) -> tuple[dict[str, ListenKey], int, dict[str, ListenKey]]:
        return dict(self.keys), self.made, dict(self.tokens)

    def restore(self, snapshot: tuple[dict[str, ListenKey], int, dict[str, ListenKey]]) -> None:
        keys, self.made, tokens = snapshot
        self.keys, self.tokens = dict(keys), dict(tokens)


def _key(seed: int, n: int, kind: str = "listenKey", length: int = 64, alphabet: str = _ALPHABET) -> str:
    """`length` characters of `alphabet` from the seed, the kind and the number: 64 letters and
    digits, as Binance's listenKeys look; 70 of base64's alphabet, as its listenToken example."""
    size = -(-length * len(alphabet).bit_length() // 8)  # bytes enough for every character
    value = int.from_bytes(hashlib.blake2b(f"{seed}:{kind}:{n}".encode(), digest_size=size).digest(), "big")
    out = []
    for _ in range(length):
        value, r = divmod(value, len(alphabet))
        out.append(alphabet[r])
    return "".join(out)

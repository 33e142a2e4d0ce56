"""The listenKeys of user data streams: which account and wallet each names, and until when.

A key lives 60 minutes of the mock's clock from its start or its last keepalive (so a test
expires one by moving the clock); starting a stream while the account has an active key for the
same wallet answers that key again and extends it, as Binance documents. The caller holds the
world's lock.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace

LIFETIME_MS = 60 * 60_000
_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


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

    def active(self, key: str, now_ms: int) -> ListenKey | None:
        found = self.keys.get(key)
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

    def snapshot(self) -> tuple[dict[str, ListenKey], int]:
        return dict(self.keys), self.made

    def restore(self, snapshot: tuple[dict[str, ListenKey], int]) -> None:
        keys, self.made = snapshot
        self.keys = dict(keys)


def _key(seed: int, n: int) -> str:
    """64 letters and digits, as Binance's listenKeys look, from the seed and the key's number."""
    value = int.from_bytes(hashlib.blake2b(f"{seed}:listenKey:{n}".encode(), digest_size=48).digest(), "big")
    out = []
    for _ in range(64):
        value, r = divmod(value, 62)
        out.append(_ALPHABET[r])
    return "".join(out)

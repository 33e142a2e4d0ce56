"""The journal of recent requests: a bounded ring, with nothing secret in it.

Each entry keeps what a user needs to see why a call failed (the check that refused it)
and nothing a leak would hurt: `signature` is redacted and the API key masked.
"""

from __future__ import annotations

import itertools
import threading
from collections import deque
from typing import Any, NamedTuple
from urllib.parse import unquote_to_bytes

DEFAULT_SIZE = 1_000
# The answered body shown on the page is cut here: a full 100-row page is about 25 KB, and
# 1,000 of them would add 25 MB to a server whose memory target is 300 MB with a million rows.
# One byte more is kept than shown, so the page knows exactly when a body was cut.
MAX_BODY_BYTES = 4_096
REDACTED = "<redacted>"
SECRET_PARAMS = frozenset({"signature"})


class Entry(NamedTuple):  # immutable, and cheaper to build than a frozen dataclass
    id: int
    time_ms: int
    method: str
    path: str
    query: bytes  # as sent; decoded and redacted only when shown
    api_key: str | None  # masked
    status: int
    code: int | None
    msg: str | None
    check: str  # which step answered: ok, route, rate_limit, key, timestamp, signature, parameter, ...
    rule_id: int | None
    client_ip: str
    tier: str | None = None  # "exact" or "spec": which kind of endpoint answered; None: no route
    body: bytes = b""  # the reply's own bytes object, not a copy: decoded only when shown
    changes: tuple[dict[str, Any], ...] = ()  # what the call's write step changed (state/operations.py)

    def to_detail(self) -> dict[str, Any]:
        """The entry with the body that was answered, as text (the list leaves it out)."""
        return {
            **self.to_dict(),
            "body": self.body[:MAX_BODY_BYTES].decode("utf-8", "replace"),
            "bodyTruncated": len(self.body) > MAX_BODY_BYTES,
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "time": self.time_ms,
            "method": self.method,
            "path": self.path,
            "params": [list(p) for p in self.params],
            "apiKey": self.api_key,
            "status": self.status,
            "code": self.code,
            "msg": self.msg,
            "check": self.check,
            "rule": self.rule_id,
            "clientIp": self.client_ip,
            "tier": self.tier,
            "changes": list(self.changes),
        }

    @property
    def params(self) -> tuple[tuple[str, str], ...]:
        return loggable_params(self.query)

    def param(self, name: str) -> str | None:
        return next((v for k, v in self.params if k == name), None)


def loggable_params(raw_query: bytes) -> tuple[tuple[str, str], ...]:
    """Parameters as sent, decoded leniently (a journal must not fail), secrets redacted."""
    out: list[tuple[str, str]] = []
    for piece in raw_query.split(b"&"):
        if not piece:
            continue
        name_b, _, value_b = piece.partition(b"=")
        name = unquote_to_bytes(name_b.replace(b"+", b" ")).decode("utf-8", "replace")
        value = unquote_to_bytes(value_b.replace(b"+", b" ")).decode("utf-8", "replace")
        out.append((name, REDACTED if name in SECRET_PARAMS else value[:256]))
        if len(out) >= 64:
            out.append(("...", f"{raw_query.count(b'&') + 1 - 64} more"))
            break
    return tuple(out)


class Journal:
    def __init__(self, size: int = DEFAULT_SIZE, lock: threading.RLock | None = None) -> None:
        self._lock = lock or threading.RLock()
        self._entries: deque[tuple[Any, ...]] = deque(maxlen=max(1, size))
        self._ids = itertools.count(1)

    def record(
        self, time_ms: int, method: str, path: str, query: bytes, api_key: str | None, status: int,
        code: int | None, msg: str | None, check: str, rule_id: int | None, client_ip: str, tier: str | None,
        body: bytes = b"", changes: tuple[dict[str, Any], ...] = (),
    ) -> None:  # fmt: skip
        """One call, in Entry's field order (positional: this runs for every request)."""
        if len(query) > 16_384:
            query = query[:16_384]
        if len(body) > MAX_BODY_BYTES:
            body = body[: MAX_BODY_BYTES + 1]
        with self._lock:  # a plain tuple here; entries() makes the Entry a reader sees
            self._entries.append(
                (next(self._ids), time_ms, method, path, query, api_key, status, code, msg, check, rule_id,
                 client_ip, tier, body, changes)
            )  # fmt: skip

    def entries(self, since: int = 0) -> list[Entry]:
        """Oldest first; with `since`, only the entries recorded after the one of that id, found
        from the newest end, so a page that polls pays for what is new and nothing else."""
        with self._lock:
            if not since:
                return [Entry._make(e) for e in self._entries]
            newer: list[tuple[Any, ...]] = []
            for e in reversed(self._entries):
                if e[0] <= since:
                    break
                newer.append(e)
        return [Entry._make(e) for e in reversed(newer)]

    def entry(self, entry_id: int) -> Entry | None:
        with self._lock:
            for e in reversed(self._entries):
                if e[0] == entry_id:
                    return Entry._make(e)
                if e[0] < entry_id:
                    break
        return None

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def snapshot(self) -> list[tuple[Any, ...]]:
        with self._lock:
            return list(self._entries)

    def restore(self, snapshot: list[tuple[Any, ...]]) -> None:
        """The entries of the snapshot; ids go on from the newest ever given, so a poller's
        `since` never sees an id twice."""
        with self._lock:
            self._entries.clear()
            self._entries.extend(snapshot)

"""Every open WebSocket connection (the market streams' and the WebSocket API's), as the control
API sees them: listed, dropped, expired; and each opening, subscription and end written to the
journal through `note`.

The connections live on the server's event loop; a caller on another thread (`MockBinance` in a
test) goes through `on_loop`, which runs its function there and waits for the answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import re
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Any, TypeVar

from mock_server.streams import limits
from mock_server.streams.faults import Match

T = TypeVar("T")
# A dropped connection ends without a close frame, as when the network fails (the client sees
# 1006); Binance's own codes for the ends it chooses are in limits.py.
DROPPED = (1006, "Dropped by the control API")
EXPIRED = limits.CLOSE_AGE
SHUT_DOWN = (1001, "Server is shutting down")  # F84: the close after serverShutdown
_LISTEN_KEY = re.compile(r"(?<![A-Za-z0-9])[A-Za-z0-9]{64}(?![A-Za-z0-9])")


def masked_listen_keys(text: str) -> str:
    """`text` with every listenKey in it masked as API keys are (`AbCd...wXyZ`): a listenKey reads
    an account's orders and balances, so the journal and the page show it no more than a key."""
    return _LISTEN_KEY.sub(lambda m: f"{m[0][:4]}...{m[0][-4:]}", text)


@dataclass(eq=False)
class Connection:
    endpoint: str  # "streams" or "ws-api"
    path: str
    ip: str
    opened_ms: int  # the mock's clock
    close: Callable[[int, str], None]  # with a close frame
    drop: Callable[[], None]  # without one
    names: Callable[[], Iterable[str]] = lambda: ()  # the streams it listens to
    accounts: Callable[[], Iterable[str]] = lambda: ()  # the API keys whose user data it carries
    announce: Callable[[dict[str, Any]], None] = lambda event: None  # an event of the connection's own
    details: Callable[[], dict[str, Any]] = dict  # what else the listing shows of it
    id: int = 0

    def view(self, now_ms: int, mask: Callable[[str], str]) -> dict[str, Any]:
        return {
            "id": self.id,
            "endpoint": self.endpoint,
            "path": masked_listen_keys(self.path),
            "clientIp": self.ip,
            "openedMs": self.opened_ms,
            "ageMs": max(0, now_ms - self.opened_ms),
            "streams": [masked_listen_keys(n) for n in self.names()],
            "apiKeys": sorted(mask(k) for k in set(self.accounts())),
            **self.details(),
        }


# What the journal gets: (what happened, the connection, the detail, the close code, the rule).
Note = Callable[[str, Connection, str, int | None, int | None], None]


@dataclass
class Connections:
    note: Note = lambda *_: None
    open: dict[int, Connection] = field(default_factory=dict)
    loop: asyncio.AbstractEventLoop | None = None
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def opened(self, conn: Connection, detail: str = "") -> Connection:
        """On the loop: `conn` is open (its handshake accepted)."""
        with contextlib.suppress(RuntimeError):  # a session built in a test without a server
            self.loop = asyncio.get_running_loop()
        conn.id = next(self._ids)
        self.open[conn.id] = conn
        self.note("open", conn, detail, 101, None)
        return conn

    def closed(self, conn: Connection, code: int | None, reason: str) -> None:
        if self.open.pop(conn.id, None) is not None:
            self.note("close", conn, reason, code, None)

    def matching(self, match: Match) -> list[Connection]:
        return [c for c in list(self.open.values()) if match.connection(c.endpoint, c.names(), c.accounts())]

    def drop(self, match: Match) -> int:
        """On the loop: end the matching connections without a close frame; how many."""
        found = self.matching(match)
        for conn in found:
            self.note("drop", conn, "dropped by the control API", DROPPED[0], None)
            conn.drop()
        return len(found)

    def expire(self, match: Match, most: int | None, rule_id: int) -> int:
        """On the loop: end the matching connections as at 24 hours (at most `most`); how many."""
        found = self.matching(match)[:most]
        for conn in found:
            self.note(
                "fault", conn, f"expire: ended as at 24 hours (stream fault {rule_id})", EXPIRED[0], rule_id
            )
            conn.close(*EXPIRED)
        return len(found)

    def shutdown(self, match: Match, most: int | None, rule_id: int, now_ms: int, close_in_ms: int) -> int:
        """On the loop: Binance's `serverShutdown` to the matching connections (at most `most`),
        each closed `close_in_ms` later unless it left first; how many were told."""
        found = self.matching(match)[:most]
        loop = asyncio.get_running_loop()
        for conn in found:
            self.note("fault", conn, f"shutdown: serverShutdown sent, closing in {close_in_ms} ms (stream fault {rule_id})",
                      None, rule_id)  # fmt: skip
            conn.announce({"e": "serverShutdown", "E": now_ms})
            loop.call_later(close_in_ms / 1000, conn.close, *SHUT_DOWN)
        return len(found)

    def on_loop(self, fn: Callable[[], T], default: T) -> T:
        """`fn()` on the server's loop, from any thread; `default` when no connection ever opened
        (nothing can be open then)."""
        loop = self.loop
        if loop is None or loop.is_closed() or not loop.is_running():  # a stopped server has none open
            return default
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            return fn()

        async def call() -> T:
            return fn()

        try:
            return asyncio.run_coroutine_threadsafe(call(), loop).result(timeout=10)
        except (FutureTimeout, RuntimeError):  # the server is stopping: nothing left to act on
            return default

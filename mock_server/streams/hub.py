"""The hub: every stream with a subscriber has one feed, advanced once a tick; its events are
encoded once (raw, combined, in microseconds: once each form a subscriber needs) and handed to
every subscriber, however many.

It runs on the server's event loop while any connection is open: every TICK_S it reads the
mock's clock, advances each feed under the world's lock (the market's caches and its steering
are the world's), and fans the events out. `publish` is the seam for events that are not the
market's: a later step's user data (an account's executionReport, outboundAccountPosition, ...)
is published to its stream name by whoever makes it, and reaches the subscribers of that name.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import Callable
from typing import Any, Protocol

from mock_server.market.model import Market
from mock_server.streams.events import in_microseconds
from mock_server.streams.feeds import Feed, feed
from mock_server.streams.limits import Attempts
from mock_server.streams.names import Stream

TICK_S = 0.05
log = logging.getLogger("binance_mock")


class Subscriber(Protocol):
    """A connection, as the hub sees it."""

    combined: bool  # events wrapped as {"stream": name, "data": event}
    micro: bool  # time fields in microseconds

    def deliver(self, frame: str) -> None: ...

    def tick(self, now_ms: int) -> None:
        """Once a tick, with the mock's now: the connection's own rules by mock time."""


class _Seen:
    """What the hub counts of a connection."""

    __slots__ = ("events", "opened_ms", "streams")

    def __init__(self, opened_ms: int) -> None:
        self.opened_ms = opened_ms
        self.events = 0
        self.streams: dict[str, None] = {}  # in the order subscribed


def encode(name: str, event: Any, combined: bool, micro: bool) -> str:
    raw = json.dumps(in_microseconds(event) if micro else event, separators=(",", ":"))
    return f'{{"stream":{json.dumps(name)},"data":{raw}}}' if combined else raw


class Hub:
    def __init__(
        self, now: Callable[[], int], market: Callable[[], Market], lock: threading.RLock,
        user: Callable[[Stream], Feed] | None = None,
    ) -> None:  # fmt: skip
        self._now = now
        self._user = user  # the feed of a listenKey's user data (streams/user.py)
        self._market = market
        self._lock = lock
        self._feeds: dict[str, Feed] = {}
        self._listeners: dict[str, dict[Subscriber, None]] = {}  # an ordered set a stream
        self._members: dict[Subscriber, _Seen] = {}  # every open connection, oldest first
        self.attempts = Attempts()  # new connections by IP (limits.py)
        self._task: asyncio.Task[None] | None = None

    # --- connections and their streams ---

    def attach(self, sub: Subscriber) -> None:
        """A connection opened (on the running loop): the hub ticks while any is open."""
        self._members[sub] = _Seen(self._now())
        task = self._task
        if task is None or task.done():
            self._task = asyncio.get_running_loop().create_task(self._run())

    def detach(self, sub: Subscriber) -> None:
        self._members.pop(sub, None)
        for name in [n for n, subs in self._listeners.items() if sub in subs]:
            self.unsubscribe(sub, name)

    def subscribe(self, sub: Subscriber, name: str, stream: Stream | None = None) -> None:
        """`sub` gets the events of `name` from now on: the market's, when `stream` parses it,
        and whatever is published to the name."""
        if stream is not None and name not in self._feeds:
            with self._lock:
                m = self._market()
                made = self._user(stream) if stream.kind == "userData" and self._user else feed(stream, m)
                made.start(m, self._now())
            self._feeds[name] = made
        self._listeners.setdefault(name, {})[sub] = None
        if (seen := self._members.get(sub)) is not None:
            seen.streams[name] = None

    def unsubscribe(self, sub: Subscriber, name: str) -> None:
        subs = self._listeners.get(name)
        if subs is None:
            return
        subs.pop(sub, None)
        if (seen := self._members.get(sub)) is not None:
            seen.streams.pop(name, None)
        if not subs:
            del self._listeners[name]
            self._feeds.pop(name, None)

    def streams(self) -> list[str]:
        """The names with at least one subscriber."""
        return list(self._listeners)

    def connections(self) -> int:
        return len(self._members)

    def describe(self) -> list[dict[str, Any]]:
        """Every open connection, oldest first: its streams, its form, when it opened (mock
        time) and how many events it has been sent (GET /_mock/streams)."""
        return [
            {
                "streams": list(seen.streams),
                "combined": sub.combined,
                "openedMs": seen.opened_ms,
                "events": seen.events,
            }
            for sub, seen in self._members.items()
        ]

    # --- events ---

    def publish(self, name: str, event: Any) -> int:
        """Hand `event` to every subscriber of `name` now; how many got it. Call it on the
        server's loop (from another thread: `loop.call_soon_threadsafe`)."""
        return self._fan(name, event)

    def tick(self) -> None:
        """Advance every feed to the mock's now and send what it made."""
        now = self._now()
        made: list[tuple[str, list[Any]]] = []
        with self._lock:
            m = self._market()
            for name, f in list(self._feeds.items()):
                try:
                    made.append((name, f.advance(m, now)))
                except Exception:  # a bug of ours must not stop every other stream
                    log.exception("stream %s failed at %d", name, now)
        for name, events in made:
            for event in events:
                self._fan(name, event)
        for sub in list(self._members):
            sub.tick(now)

    def _fan(self, name: str, event: Any) -> int:
        subs = self._listeners.get(name)
        if not subs:
            return 0
        frames: dict[tuple[bool, bool], str] = {}
        for sub in list(subs):
            form = (sub.combined, sub.micro)
            frame = frames.get(form)
            if frame is None:
                frame = frames[form] = encode(name, event, *form)
            sub.deliver(frame)
            seen = self._members.get(sub)
            if seen is not None:
                seen.events += 1
        return len(subs)

    async def _run(self) -> None:
        while self._members:
            try:
                self.tick()
            except Exception:  # a bug of ours must not stop the streams for good
                log.exception("the streams' tick failed")
            await asyncio.sleep(TICK_S)

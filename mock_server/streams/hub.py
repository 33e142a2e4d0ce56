"""The hub: every stream with a subscriber has one feed, advanced once a tick; its events are
encoded once (raw, combined, in microseconds: once each form a subscriber needs) and handed to
every subscriber, however many.

It runs on the server's event loop while any connection is open: every TICK_S it reads the
mock's clock, advances each feed under the world's lock (the market's caches and its steering
are the world's), and fans the events out. `publish` is the seam for events that are not the
market's: a later step's user data (an account's executionReport, outboundAccountPosition, ...)
is published to its stream name by whoever makes it, and reaches the subscribers of that name.

Stream faults (faults.py) act between a feed and its subscribers: an event may be skipped (a gap)
or held in its stream's queue until a wall time (a delay, a pause); a stream with held events
queues every later one behind them, so its order never changes.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any, Protocol

from mock_server.market.model import Market
from mock_server.streams.connections import Connections
from mock_server.streams.events import Encoded, in_microseconds
from mock_server.streams.faults import StreamFaults, Verdict
from mock_server.streams.feeds import Feed, feed
from mock_server.streams.limits import Attempts
from mock_server.streams.names import Stream

TICK_S = 0.05
_NEVER = 2**63
log = logging.getLogger("binance_mock")


class Subscriber(Protocol):
    """A connection, as the hub sees it."""

    combined: bool  # events wrapped as {"stream": name, "data": event}
    micro: bool  # time fields in microseconds
    due_ms: int  # the mock instant from which `tick` may have something to do

    def deliver(self, frame: str) -> None: ...

    def tick(self, now_ms: int) -> None:
        """With the mock's now, at the first tick at or after `due_ms` (and maybe later ones):
        the connection's own rules by mock time."""


def encode(name: str, event: Any, combined: bool, micro: bool) -> str:
    if isinstance(event, Encoded):  # made as text already (a diff depth event)
        raw = event.text(micro)
    else:
        raw = json.dumps(in_microseconds(event) if micro else event, separators=(",", ":"))
    return f'{{"stream":{json.dumps(name)},"data":{raw}}}' if combined else raw


class Hub:
    def __init__(
        self, now: Callable[[], int], market: Callable[[], Market], lock: threading.RLock,
        user: Callable[[Stream], Feed] | None = None, faults: StreamFaults | None = None,
        owner: Callable[[str], str | None] = lambda name: None, connections: Connections | None = None,
        wall: Callable[[], float] = time.monotonic,
    ) -> None:  # fmt: skip
        self._now = now
        self._user = user  # the feed of a listenKey's user data (streams/user.py)
        self._market = market
        self._lock = lock
        self._feeds: dict[str, Feed] = {}
        self._listeners: dict[str, dict[Subscriber, None]] = {}  # an ordered set a stream
        self._members: dict[Subscriber, None] = {}
        # No member's tick is due before this mock instant: a thousand connections cost nothing
        # a tick until one may be (the earliest of their due_ms, or earlier after a detach).
        self._due = _NEVER
        self.attempts = Attempts()  # new connections by IP (limits.py)
        self.faults = faults or StreamFaults(lock)
        self.owner = owner  # the API key whose listenKey a stream name is, if it is one
        self.connections = connections or Connections()
        self.wall = wall
        self._held: dict[str, deque[tuple[float, Any]]] = {}  # by stream: (due wall time, event)
        # The journal's ears (Exchange wires them): a fault fired on a stream; a connection refused.
        self.note: Callable[[str, str, int], None] = lambda what, name, rule_id: None
        self.refused: Callable[[str, str, str, int], None] = lambda endpoint, path, ip, rule_id: None
        self._task: asyncio.Task[None] | None = None

    # --- connections and their streams ---

    def attach(self, sub: Subscriber) -> None:
        """A connection opened (on the running loop): the hub ticks while any is open."""
        self._members[sub] = None
        self._due = min(self._due, sub.due_ms)
        self._keep_ticking()

    def _keep_ticking(self) -> None:
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

    def unsubscribe(self, sub: Subscriber, name: str) -> None:
        subs = self._listeners.get(name)
        if subs is None:
            return
        subs.pop(sub, None)
        if not subs:
            del self._listeners[name]
            self._feeds.pop(name, None)
            self._held.pop(name, None)

    def refuses(self, endpoint: str, path: str, names: tuple[str, ...], ip: str) -> bool:
        """Whether a stream fault turns away this new connection (journaled when one does)."""
        if not self.faults.rules:
            return False
        accounts = [k for n in names if (k := self.owner(n)) is not None]
        rule = self.faults.refuses(endpoint, names, accounts, self.wall())
        if rule is not None:
            self.refused(endpoint, path, ip, rule.id)
        return rule is not None

    def streams(self) -> list[str]:
        """The names with at least one subscriber."""
        return list(self._listeners)

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
        if self.faults.rules or self._held:
            self._shaped(made)
        else:
            for name, events in made:
                for event in events:
                    self._fan(name, event)
        if now >= self._due:
            for sub in list(self._members):
                if now >= sub.due_ms:
                    sub.tick(now)
            self._due = min((sub.due_ms for sub in self._members), default=_NEVER)

    def _shaped(self, made: list[tuple[str, list[Any]]]) -> None:
        """The tick's events through the stream faults: held ones that are due go first."""
        wall = self.wall()
        for name in list(self._held):
            queue = self._held[name]
            if self.faults.paused(name, self.owner(name), wall):
                continue
            while queue and queue[0][0] <= wall:
                self._fan(name, queue.popleft()[1])
            if not queue:
                del self._held[name]
        for name, events in made:
            owner = self.owner(name) if events else None
            for event in events:
                verdict, until, rule = self.faults.event(name, owner, wall)
                if verdict == Verdict.SKIP:
                    assert rule is not None
                    self.note("gap", name, rule.id)
                    continue
                queue = self._held.get(name)
                if verdict == Verdict.SEND and not queue:
                    self._fan(name, event)
                    continue
                if rule is not None and rule.fired == 1:
                    self.note(rule.kind, name, rule.id)
                if queue is None:
                    queue = self._held[name] = deque()
                # Behind what is held already: a stream's events keep their order.
                queue.append((max(until, queue[-1][0]) if queue else until, event))

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
        return len(subs)

    async def _run(self) -> None:
        while self._members:
            try:
                self.tick()
            except Exception:  # a bug of ours must not stop the streams for good
                log.exception("the streams' tick failed")
            await asyncio.sleep(TICK_S)

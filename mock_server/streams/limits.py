"""Binance's rules for a stream connection (web-socket-streams.md, "WebSocket Limits" and
"General WSS information"), and the mock's choices where the page is silent (docs/streams.md,
docs/fidelity.md F70-F76).

The rate windows follow the wall clock (a test freezing the mock's clock must not make a client's
messages count forever); a connection's age follows the mock's clock, so a test moves it past
24 hours with `advance_clock`.
"""

from __future__ import annotations

from collections import deque

MESSAGES_PER_SECOND = 5  # incoming control messages; the next one closes the connection (F71)
MAX_STREAMS = 1_024  # a connection's streams (F72)
CONNECTIONS_PER_WINDOW = 300  # new connections of one IP ...
CONNECTION_WINDOW_S = 300.0  # ... in 5 minutes (F73)
PING_INTERVAL_S = 20.0  # the server's ping frames
PONG_TIMEOUT_S = 60.0  # no pong within a minute: disconnected
MAX_AGE_MS = 24 * 3_600_000  # a connection is valid for 24 hours (F74)
MAX_PENDING = 1_000  # frames waiting to be sent to a slow reader before it is dropped (F75)

# Close codes (F71, F74, F75): the page gives none.
CLOSE_TOO_MANY_MESSAGES = (1008, "Too many messages")
CLOSE_AGE = (1000, "Connection is older than 24 hours")
CLOSE_SLOW = (1008, "Too slow to read events")


class Window:
    """At most `most` events in any `span_s` seconds: `admit(t)` says whether one more fits (and
    counts it when it does)."""

    def __init__(self, most: int, span_s: float) -> None:
        self.most = most
        self.span_s = span_s
        self._times: deque[float] = deque()

    def admit(self, t: float) -> bool:
        times = self._times
        while times and times[0] <= t - self.span_s:
            times.popleft()
        if len(times) >= self.most:
            return False
        times.append(t)
        return True


class Attempts:
    """New connections by IP: CONNECTIONS_PER_WINDOW in CONNECTION_WINDOW_S each."""

    def __init__(self) -> None:
        self._by_ip: dict[str, Window] = {}

    def admit(self, ip: str, t: float) -> bool:
        window = self._by_ip.get(ip)
        if window is None:
            if len(self._by_ip) > 10_000:  # forget idle addresses: memory stays flat
                self._by_ip = {
                    k: w
                    for k, w in self._by_ip.items()
                    if w._times and w._times[-1] > t - CONNECTION_WINDOW_S
                }
            window = self._by_ip[ip] = Window(CONNECTIONS_PER_WINDOW, CONNECTION_WINDOW_S)
        return window.admit(t)

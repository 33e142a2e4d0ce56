"""One stream connection, free of any web framework: its streams, its `combined` property, the
control messages it is sent (SUBSCRIBE, UNSUBSCRIBE, LIST_SUBSCRIPTIONS, SET_PROPERTY,
GET_PROPERTY) with Binance's answers, and its limits.

The HTTP layer (mock_server/http/streams.py) feeds it the text frames received and sends what it
puts in its outbox; `close` is the layer's way to end the connection with a code and reason, and
`drop` to end it without one. The session is one of the hub's `connections`, which the control
API lists, drops and expires, and the journal hears its opening, subscriptions and end.
Answers are `{"result": ..., "id": N}`; errors `{"error": {"code": C, "msg": M}, "id": N}` with
the codes and messages of the page's "Error Messages" table (F70).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from mock_server.streams import limits
from mock_server.streams.connections import Connection
from mock_server.streams.hub import Hub, encode
from mock_server.streams.names import Route, parse

METHODS = ("SUBSCRIBE", "UNSUBSCRIBE", "LIST_SUBSCRIPTIONS", "SET_PROPERTY", "GET_PROPERTY")
_ID = re.compile(r"[A-Za-z0-9]{1,36}")
_INT64 = (-(2**63), 2**63 - 1)


class Refused(Exception):
    """A control message Binance answers with an error."""

    def __init__(self, code: int, msg: str) -> None:
        super().__init__(msg)
        self.code = code
        self.msg = msg


def _where(text: str, index: int) -> str:
    """`line L column C` of a position in the text, as serde names it (both from 1)."""
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1)
    return f"line {line} column {column}"


class Session:
    def __init__(
        self, hub: Hub, route: Route, micro: bool, now_ms: int, outbox: Callable[[str], None],
        close: Callable[[int, str], None], drop: Callable[[], None] = lambda: None, path: str = "/ws",
        ip: str = "",
    ) -> None:  # fmt: skip
        self.hub = hub
        self.combined = route.combined
        self.micro = micro
        self.opened_ms = now_ms
        self.due_ms = now_ms + limits.MAX_AGE_MS  # the hub's tick: when this one's age is up
        self.names: dict[str, None] = {}  # in the order subscribed
        self.sent = 0  # events delivered (GET /_mock/streams shows it)
        self._outbox = outbox
        self._close = close
        self._dropped = drop
        self._rate = limits.Window(limits.MESSAGES_PER_SECOND, 1.0)
        self._closed = False
        hub.attach(self)
        for name in route.names:
            self._add(name)
        self.connection = hub.connections.opened(
            Connection("streams", path, ip, now_ms, self.close, self._drop, lambda: self.names,
                       lambda: [k for n in self.names if (k := hub.owner(n)) is not None], self._announce,
                       lambda: {"combined": self.combined, "events": self.sent}),
            " ".join(self.names),
        )  # fmt: skip

    # --- what the hub calls ---

    def deliver(self, frame: str) -> None:
        if not self._closed:
            self.sent += 1
            self._outbox(frame)

    def tick(self, now_ms: int) -> None:
        if now_ms >= self.due_ms:
            self.close(*limits.CLOSE_AGE)

    # --- what the connection calls ---

    def close(self, code: int, reason: str) -> None:
        if not self._closed:
            self._end(code, reason)
            self._close(code, reason)

    def _announce(self, event: dict[str, Any]) -> None:
        """An event of the connection itself (serverShutdown): raw, or as the `!<type>` stream."""
        self.deliver(encode(f"!{event['e']}", event, self.combined, self.micro))

    def _drop(self) -> None:
        if not self._closed:
            self._end(1006, "dropped")
            self._dropped()

    def ended(self, code: int | None = None) -> None:
        """The connection is gone (the client left, or the close was sent)."""
        if not self._closed:
            self._end(code, "the client left")

    def _end(self, code: int | None, reason: str) -> None:
        self._closed = True
        self.hub.detach(self)
        self.hub.connections.closed(self.connection, code, reason)

    def receive(self, text: str, wall_s: float) -> None:
        """A text frame from the client: answered in the outbox, or the connection closed when
        it is one message too many for the second."""
        if self._closed:
            return
        if not self._rate.admit(wall_s):
            self.close(*limits.CLOSE_TOO_MANY_MESSAGES)
            return
        self._request_id: Any = None
        try:
            answer = self._answer(text)
            body: dict[str, Any] = {"result": answer, "id": self._request_id}
        except Refused as refused:
            body = {"error": {"code": refused.code, "msg": refused.msg}, "id": self._request_id}
        self._outbox(json.dumps(body, separators=(",", ":")))

    # --- control messages ---

    def _answer(self, text: str) -> Any:
        try:
            message = json.loads(text)
        except (json.JSONDecodeError, RecursionError) as exc:
            where = (
                f"line {exc.lineno} column {exc.colno}"
                if isinstance(exc, json.JSONDecodeError)
                else "line 1 column 1"
            )
            raise Refused(3, f"Invalid JSON: expected value at {where}") from None
        if not isinstance(message, dict) or "method" not in message:
            raise Refused(2, f"Invalid request: missing field `method` at {_where(text, len(text.rstrip()))}")
        method = message["method"]
        if method not in METHODS:
            shown = f"`{method}`" if isinstance(method, str) else json.dumps(method)
            found = re.search(r'"method"\s*:\s*("(?:[^"\\]|\\.)*"|[^,}\s]*)', text)
            where = _where(text, found.end() if found else len(text))
            expected = ", ".join(f"`{m}`" for m in METHODS)
            raise Refused(
                2, f"Invalid request: unknown variant {shown}, expected one of {expected} at {where}"
            )
        request_id = message.get("id", _MISSING)
        if not _valid_id(request_id):
            raise Refused(2, "Invalid request: request ID must be an unsigned integer")
        self._request_id = request_id
        return self._run(method, message.get("params", _MISSING))

    def _run(self, method: str, params: Any) -> Any:
        if method in ("SUBSCRIBE", "UNSUBSCRIBE"):
            names = _stream_names(params)
            if method == "UNSUBSCRIBE":
                gone = [name for name in names if name in self.names]
                for name in gone:
                    del self.names[name]
                    self.hub.unsubscribe(self, name)
                if gone:
                    self.hub.connections.note("unsubscribe", self.connection, " ".join(gone), None, None)
                return None
            new = [n for n in dict.fromkeys(names) if n not in self.names]
            if len(self.names) + len(new) > limits.MAX_STREAMS:
                raise Refused(
                    2,
                    f"Invalid request: too many streams; a connection listens to at most {limits.MAX_STREAMS}",
                )
            for name in new:
                self._add(name)
            if new:
                self.hub.connections.note("subscribe", self.connection, " ".join(new), None, None)
            return None
        if method == "LIST_SUBSCRIPTIONS":
            if params is not _MISSING and params not in ([], None):
                raise Refused(2, "Invalid request: too many parameters")
            return list(self.names)
        values = params if isinstance(params, list) else []
        wanted = 2 if method == "SET_PROPERTY" else 1
        if len(values) > wanted:
            raise Refused(2, "Invalid request: too many parameters")
        if not values or not isinstance(values[0], str):
            raise Refused(2, "Invalid request: property name must be a string")
        if values[0] != "combined":
            raise Refused(0, "Unknown property")
        if method == "GET_PROPERTY":
            return self.combined
        if len(values) < 2 or not isinstance(values[1], bool):
            raise Refused(1, "Invalid value type: expected Boolean")
        self.combined = values[1]
        return None

    def _add(self, name: str) -> None:
        self.names[name] = None
        self.hub.subscribe(self, name, parse(name))


_MISSING = object()


def _valid_id(value: Any) -> bool:
    """A 64-bit signed integer, an alphanumeric string of at most 36 characters, or null."""
    if value is None:
        return True
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return _INT64[0] <= value <= _INT64[1]
    return isinstance(value, str) and _ID.fullmatch(value) is not None


def _stream_names(params: Any) -> list[str]:
    """SUBSCRIBE's and UNSUBSCRIBE's params: a list of stream names."""
    if not isinstance(params, list) or not all(isinstance(p, str) for p in params):
        raise Refused(2, "Invalid request: invalid stream")
    for name in params:
        if parse(name) is None:
            raise Refused(2, "Invalid request: invalid stream")
    return params

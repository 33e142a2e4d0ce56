"""What crosses the wire, free of any web framework: a call in, a reply out."""

from __future__ import annotations

from typing import Any, NamedTuple


class Call(NamedTuple):  # immutable, and cheaper to build than a frozen dataclass
    method: str
    path: str
    query: bytes = b""
    body: bytes = b""
    api_key: str | None = None
    client_ip: str = "127.0.0.1"
    # Set by the WebSocket API, which checks its own signatures (over the sorted parameters) or
    # a logged-on session: True, a valid one (no `signature` parameter is needed); False, an
    # invalid one (-1022 at the signature step). None: a REST call, checked as the query says.
    signature_ok: bool | None = None


class Reply(NamedTuple):  # built for every request: a NamedTuple costs a third of a dataclass
    status: int
    body: bytes
    headers: dict[str, str] = {}  # shared by replies without headers: never mutated
    content_type: str = "application/json"
    delay_ms: int = 0  # injected latency, slept by the HTTP layer without blocking others
    drop: str | None = None  # "empty_reply" or "reset": the HTTP layer breaks the connection
    code: int | None = None  # the Binance error code, for the journal
    msg: str | None = None
    check: str = "ok"  # which step of the pipeline answered
    rule_id: int | None = None
    tier: str | None = None  # the tier of the endpoint that answered; None: no route
    changes: tuple[dict[str, Any], ...] = ()  # what the call's write step changed, for the journal


class Forward(NamedTuple):
    """Not an answer yet: a recording proxy's call (--record-mode new|all). The HTTP layer gets
    the answer from the upstream and hands it to `Exchange.forwarded`."""

    tier: str | None

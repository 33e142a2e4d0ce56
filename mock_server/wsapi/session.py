"""One WebSocket API connection (`/ws-api/v3`): its requests in, its responses and events out.

A request `{"id", "method", "params"}` for a REST-backed method (methods.py) becomes a `Call` to
the exchange, answered by the same pipeline as REST: the response is `{"id", "status", "result"}`
or `{"id", "status", "error"}`, with `rateLimits` read from the pipeline's headers. The WebSocket
API signs differently from REST (the parameters sorted by name, `apiKey` among them), so the
session checks a signature itself and hands the call on marked as checked; after
`session.logon` the session's key signs for every request without `apiKey`. User data stream
subscriptions read the world's outbox (mock_server/state/events.py): each event of a subscribed
account's wallet goes out as `{"subscriptionId", "event"}` (the SPOT wallet for a logon or a
signature, the token's margin wallet for a listenToken). A subscription that ends (unsubscribed,
logged out, its listenToken expired by the mock's clock) says so once with `eventStreamTerminated`.
Free of any web framework: the HTTP layer only moves text frames.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, NamedTuple
from urllib.parse import quote

from mock_server.exchange.exchange import Exchange
from mock_server.exchange.wire import Call, Reply
from mock_server.rules import errors, security
from mock_server.rules.errors import BinanceError
from mock_server.state.accounts import Account
from mock_server.wsapi.methods import METHODS, SESSION_METHODS, method_name

MAX_SUBSCRIPTIONS = 1_000  # active at once, per connection
BAD_REQUEST = errors.INVALID_PARAMETER  # F81: a frame that is not a request


class Subscription(NamedTuple):
    api_key: str
    wallet: str = "SPOT"  # whose events: SPOT, or a listenToken's MARGIN or ISOLATED:<SYMBOL>
    expires_ms: int | None = None  # a listenToken's expirationTime: the subscription ends then

    @property
    def source(self) -> tuple[str, str]:
        """The account and wallet whose events it carries: one subscription each a connection."""
        return self.api_key, self.wallet


@dataclass
class Session:
    exchange: Exchange
    client_ip: str = "127.0.0.1"
    connected_ms: int = 0
    api_key: str | None = None  # logged on with session.logon
    authorized_ms: int | None = None
    subscriptions: dict[int, Subscription] = field(default_factory=dict)  # by subscriptionId
    by_logon: int | None = None  # the subscription userDataStream.subscribe made
    next_subscription: int = 0
    cursor: int = 0  # the outbox's sequence number last delivered
    own: list[str] = field(default_factory=list)  # the session's own frames not yet sent

    def __post_init__(self) -> None:
        self.connected_ms = self.connected_ms or self.exchange.now_ms()
        self.cursor = self.exchange.world.outbox.last_seq

    # --- requests ---

    def handle(self, text: str) -> str:
        """The response to one text frame."""
        try:
            request = json.loads(text)
        except ValueError:
            request = None
        if not isinstance(request, dict) or "method" not in request or "id" not in request:
            missing = "method" if isinstance(request, dict) and "id" in request else "id"
            ident = request.get("id") if isinstance(request, dict) else None
            return _error(ident, BinanceError(errors.MANDATORY_PARAM, missing))
        ident, name = request["id"], request["method"]
        params = request.get("params", {})
        if not isinstance(name, str) or not isinstance(params, dict):
            return _error(
                ident, BinanceError(BAD_REQUEST, "method" if not isinstance(name, str) else "params")
            )
        name = method_name(name)
        try:
            if name in SESSION_METHODS:
                return _ok(ident, self._session_method(name, params))
            method = METHODS.get(name)
            if method is None:
                raise BinanceError(BAD_REQUEST, "method")
        except BinanceError as err:
            return _error(ident, err)
        return self._rest(ident, method.http, method.path, params)

    def _rest(self, ident: Any, http: str, path: str, params: dict[str, Any]) -> str:
        texts = {k: _text(v) for k, v in params.items()}
        api_key, signature = texts.pop("apiKey", None), texts.pop("signature", None)
        signature_ok: bool | None = None
        if api_key is None and signature is None and self.api_key is not None:
            api_key, signature_ok = self.api_key, True  # the logged-on key signs
        elif api_key is not None and signature is not None:
            account = self.exchange.keys.get(api_key)
            if account is not None:
                signature_ok = account.verify(_payload({**texts, "apiKey": api_key}), signature)
        if signature is not None and signature_ok is None:
            texts["signature"] = signature  # the pipeline answers what is wrong first (the key)
        query = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in texts.items()).encode()
        reply = self.exchange.handle(Call(http, path, query, b"", api_key, self.client_ip, signature_ok))
        if not isinstance(reply, Reply):  # a recording proxy: the WebSocket API is not recorded
            return _error(ident, BinanceError(errors.NOT_FOUND))
        body = json.loads(reply.body) if reply.body else {}
        out: dict[str, Any] = {"id": ident, "status": reply.status}
        out["result" if reply.status == 200 else "error"] = body
        out["rateLimits"] = _rate_limits(reply, self.exchange)
        return json.dumps(out, separators=(",", ":"))

    # --- the session's own methods ---

    def _session_method(self, name: str, params: dict[str, Any]) -> Any:
        now = self.exchange.now_ms()
        if name == "session.logon":
            account = self._signed(params, now, ed25519_only=True)
            self.api_key, self.authorized_ms = account.api_key, now
            return self._status(now)
        if name == "session.status":
            return self._status(now)
        if name == "session.logout":  # ends the logon's subscription only, as Binance documents
            if self.by_logon is not None:
                self._end(self.by_logon, now)
            self.api_key = self.authorized_ms = self.by_logon = None
            return self._status(now)
        if name == "session.subscriptions":
            return [{"subscriptionId": n} for n in sorted(self.subscriptions)]
        if name == "userDataStream.subscribe":
            if self.api_key is None:
                raise BinanceError(errors.UNAUTHORIZED)
            self.by_logon = self._subscribe(self.api_key)
            return {"subscriptionId": self.by_logon}
        if name == "userDataStream.subscribe.signature":
            return {"subscriptionId": self._subscribe(self._signed(params, now).api_key)}
        if name == "userDataStream.subscribe.listenToken":
            return self._subscribe_token(params, now)
        # userDataStream.unsubscribe
        which = params.get("subscriptionId")
        if which is not None and which not in self.subscriptions:
            raise BinanceError(errors.SUBSCRIPTION_INACTIVE)
        for n in [which] if which is not None else sorted(self.subscriptions):
            self._end(n, now)
        return {}

    def _signed(self, params: dict[str, Any], now: int, ed25519_only: bool = False) -> Account:
        """A session method's own signature check, in the pipeline's order (F16). Logging on
        takes Ed25519 keys only, as Binance documents; another key's signature is -1022 there
        (F81: what clients report live answers)."""
        texts = {k: _text(v) for k, v in params.items()}
        account = security.check_key(texts.get("apiKey"), self.exchange.keys.get, None)
        signed = security.require_signed(_Params(texts))
        window = security.recv_window(_Params(texts))
        lenient = self.exchange.world.clock.lenient_ms()  # as REST: a clock not strict takes the wall's
        security.check_timestamp(signed.timestamp, window, now, self.exchange.profile, lenient)
        payload = {k: v for k, v in texts.items() if k != "signature"}
        if (ed25519_only and account.key_type != "ed25519") or not account.verify(
            _payload(payload), signed.signature
        ):
            raise BinanceError(errors.INVALID_SIGNATURE)
        return account

    def _subscribe(self, api_key: str) -> int:
        if any(s.source == (api_key, "SPOT") for s in self.subscriptions.values()):
            raise BinanceError(errors.SUBSCRIPTION_ACTIVE)
        return self._add(Subscription(api_key))

    def _subscribe_token(self, params: dict[str, Any], now: int) -> dict[str, Any]:
        """A listenToken's account and wallet, until its expirationTime (F86). A new token of
        the account and wallet already subscribed renews that subscription, as Binance advises
        doing before a token expires."""
        token = params.get("listenToken")
        if not isinstance(token, str) or not token:
            raise BinanceError(errors.MANDATORY_PARAM, "listenToken")
        world = self.exchange.world
        with world.lock:
            found = world.listen_keys.active_token(token, now)
        if found is None:
            raise BinanceError(errors.INVALID_LISTEN_TOKEN)  # unknown or expired (F87)
        sub = Subscription(found.api_key, found.wallet, found.expires_ms)
        n = next((k for k, s in self.subscriptions.items() if s.source == sub.source), None)
        if n is None:
            n = self._add(sub)
        self.subscriptions[n] = sub
        return {"subscriptionId": n, "expirationTime": found.expires_ms}

    def _add(self, sub: Subscription) -> int:
        if len(self.subscriptions) >= MAX_SUBSCRIPTIONS:
            raise BinanceError(errors.TOO_MANY_SUBSCRIPTIONS, MAX_SUBSCRIPTIONS)
        n = self.next_subscription
        self.next_subscription += 1
        self.subscriptions[n] = sub
        return n

    def _end(self, n: int, now: int) -> None:
        """Stop subscription `n`, and say so once with eventStreamTerminated (F88)."""
        del self.subscriptions[n]
        if n == self.by_logon:
            self.by_logon = None
        self.own.append(_event(n, {"e": "eventStreamTerminated", "E": now}))

    def _status(self, now: int) -> dict[str, Any]:
        return {"apiKey": self.api_key, "authorizedSince": self.authorized_ms, "connectedSince": self.connected_ms,
                "returnRateLimits": True, "serverTime": now, "userDataStream": bool(self.subscriptions)}  # fmt: skip

    # --- events ---

    def events(self) -> list[str]:
        """The frames to send since the last call: the subscribed wallets' user data events (a
        listenToken's only those before it expired), then the session's own: the end of each
        subscription that ended, a serverShutdown."""
        new = self.exchange.world.outbox.since(self.cursor)
        if new:
            self.cursor = new[-1].seq
        out = []
        for event in new:
            for n, sub in self.subscriptions.items():
                if sub.source == (event.api_key, event.wallet) and (
                    sub.expires_ms is None or event.payload["E"] < sub.expires_ms
                ):
                    out.append(_event(n, event.payload))
        now = self.exchange.now_ms()
        for n in [
            n for n, s in self.subscriptions.items() if s.expires_ms is not None and s.expires_ms <= now
        ]:
            self._end(n, now)
        out += self.own
        self.own = []
        return out

    def announce(self, event: dict[str, Any]) -> None:
        """An event of the connection itself (serverShutdown), sent with the next events, in the
        WebSocket API's form `{"event": {...}}`."""
        self.own.append(json.dumps({"event": event}, separators=(",", ":")))


class _Params:
    """The little of rules.params.Params the security checks read, over a JSON request's params."""

    def __init__(self, texts: dict[str, str]) -> None:
        self.texts, self.duplicates = texts, frozenset[str]()

    def get(self, name: str) -> str | None:
        return self.texts.get(name)


def _text(value: Any) -> str:
    """A JSON parameter as the signer wrote it into the payload."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def _payload(texts: dict[str, str]) -> bytes:
    """What a WebSocket API signature signs: the parameters sorted by name, `k=v` joined by `&`."""
    return "&".join(f"{k}={v}" for k, v in sorted(texts.items())).encode()


def _rate_limits(reply: Reply, exchange: Exchange) -> list[dict[str, Any]]:
    weights = exchange.weights
    out = []
    for header, kind, interval, num, limit in (
        ("X-MBX-ORDER-COUNT-10S", "ORDERS", "SECOND", 10, weights.orders_10s.limit),
        ("X-MBX-ORDER-COUNT-1D", "ORDERS", "DAY", 1, weights.orders_1d.limit),
        ("X-MBX-USED-WEIGHT-1M", "REQUEST_WEIGHT", "MINUTE", 1, weights.api_ip.limit),
    ):
        if header in reply.headers:
            out.append({"rateLimitType": kind, "interval": interval, "intervalNum": num, "limit": limit,
                        "count": int(reply.headers[header])})  # fmt: skip
    return out


def _event(subscription: int, payload: dict[str, Any]) -> str:
    return json.dumps({"subscriptionId": subscription, "event": payload}, separators=(",", ":"))


def _ok(ident: Any, result: Any) -> str:
    return json.dumps({"id": ident, "status": 200, "result": result}, separators=(",", ":"))


def _error(ident: Any, err: BinanceError) -> str:
    return json.dumps(
        {"id": ident, "status": err.status, "error": {"code": err.code, "msg": err.msg}},
        separators=(",", ":"),
    )

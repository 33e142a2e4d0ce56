"""The listenKeys of user data streams (world tier): POST, PUT and DELETE of
/api/v3/userDataStream (the spot wallet), /sapi/v1/userDataStream (cross margin) and
/sapi/v1/userDataStream/isolated (a pair's isolated wallet, named by `symbol`); and the margin
wallets' listenToken, POST /sapi/v1/userListenToken (SIGNED), which the WebSocket API's
`userDataStream.subscribe.listenToken` takes (mock_server/wsapi/session.py).

USER_STREAM security: the API key only. A key lives 60 minutes of the mock's clock unless kept
alive (mock_server/state/listen_keys.py); PUT or DELETE of a key that is not the account's active
key for that wallet is -1125. Binance retired the spot three on 2026-02-20 (its WebSocket API's
user data stream replaces them); the mock serves them for the clients that still call them
(F80).
"""

from __future__ import annotations

from typing import Any, NamedTuple

from mock_server.endpoints.declaration import Context, Endpoint, Rules, Security, Values
from mock_server.endpoints.market.common import dumps, pair
from mock_server.rules import errors
from mock_server.rules.errors import BinanceError
from mock_server.rules.fidelity import Profile
from mock_server.rules.params import Choice, Long, Text
from mock_server.state.listen_keys import TOKEN_LIFETIME_MS
from mock_server.state.operations import Operations


class Stream(NamedTuple):
    wallet: str
    key: str | None  # PUT and DELETE name it
    seed: int


def _wallet(path: str, values: Values, ctx: Context) -> str:
    if path.endswith("/isolated"):
        return "ISOLATED:" + pair(ctx, values["symbol"]).symbol
    return "MARGIN" if path.startswith("/sapi/") else "SPOT"


def _rules(path: str, with_key: bool) -> Rules:
    def rules(values: Values, ctx: Context) -> Stream:
        assert ctx.market is not None
        return Stream(_wallet(path, values, ctx), values["listenKey"] if with_key else None, ctx.market.seed)

    return rules


def _start(s: Stream, ctx: Context, ops: Operations) -> Stream:
    return s._replace(key=ops.start_stream(s.seed, s.wallet))


def _keep(s: Stream, ctx: Context, ops: Operations) -> Stream:
    assert s.key is not None
    ops.keep_stream(s.key, s.wallet)
    return s


def _close(s: Stream, ctx: Context, ops: Operations) -> Stream:
    assert s.key is not None
    ops.close_stream(s.key, s.wallet)
    return s


def _started(s: Stream, ctx: Context) -> bytes:
    return dumps({"listenKey": s.key})


def _empty(s: Stream, ctx: Context) -> bytes:
    return b"{}"


def _key_schema(profile: Profile) -> dict[str, Any]:
    return {"type": "object", "required": ["listenKey"], "properties": {"listenKey": {"type": "string"}}}


def _empty_schema(profile: Profile) -> dict[str, Any]:
    return {"type": "object"}


def _declare(path: str, weight: int, names: tuple[str, str, str]) -> tuple[Endpoint, ...]:
    symbol = (Text("symbol", required=True),) if path.endswith("/isolated") else ()
    key = (Text("listenKey", required=True),)
    return (
        Endpoint("POST", path, "Start user data stream (USER_STREAM)", _started, _key_schema,
                 security=Security.API_KEY, weight=weight, params=symbol, rules=_rules(path, False), write=_start,
                 tier="world", operation_id=names[0]),
        Endpoint("PUT", path, "Keepalive user data stream (USER_STREAM)", _empty, _empty_schema,
                 security=Security.API_KEY, weight=weight, params=(*key, *symbol), rules=_rules(path, True),
                 write=_keep, tier="world", operation_id=names[1]),
        Endpoint("DELETE", path, "Close user data stream (USER_STREAM)", _empty, _empty_schema,
                 security=Security.API_KEY, weight=weight, params=(*key, *symbol), rules=_rules(path, True),
                 write=_close, tier="world", operation_id=names[2]),
    )  # fmt: skip


# --- POST /sapi/v1/userListenToken ---


class Token(NamedTuple):
    wallet: str
    validity_ms: int
    seed: int
    token: str = ""
    expires_ms: int = 0


def _token_rules(values: Values, ctx: Context) -> Token:
    assert ctx.market is not None
    wallet = "MARGIN"
    if values["isIsolated"].lower() == "true":
        if not values["symbol"]:
            raise BinanceError(errors.MANDATORY_PARAM, "symbol")
        wallet = "ISOLATED:" + pair(ctx, values["symbol"]).symbol
    return Token(wallet, values["validity"], ctx.market.seed)


def _token_write(t: Token, ctx: Context, ops: Operations) -> Token:
    made = ops.start_token(t.seed, t.wallet, t.validity_ms)
    return t._replace(token=made.key, expires_ms=made.expires_ms)


def _token_answer(t: Token, ctx: Context) -> bytes:
    return dumps({"token": t.token, "expirationTime": t.expires_ms})


def _token_schema(profile: Profile) -> dict[str, Any]:
    return {"type": "object", "required": ["token", "expirationTime"],
            "properties": {"token": {"type": "string"}, "expirationTime": {"type": "integer", "format": "int64"}}}  # fmt: skip


LISTEN_TOKEN = Endpoint(
    "POST", "/sapi/v1/userListenToken", "Create Margin Account listenToken (USER_STREAM)", _token_answer,
    _token_schema, security=Security.SIGNED, weight=1, weight_kind="UID", margin_account=True,
    params=(Text("symbol"), Choice("isIsolated", ("true", "false", "TRUE", "FALSE"), default="false"),
            Long("validity", default=TOKEN_LIFETIME_MS, minimum=1, maximum=TOKEN_LIFETIME_MS)),
    rules=_token_rules, write=_token_write, tier="world", operation_id="createMarginListenToken",
)  # fmt: skip

ENDPOINTS = (
    *_declare("/api/v3/userDataStream", 2, ("createUserDataStream", "putUserDataStream", "deleteUserDataStream")),
    *_declare("/sapi/v1/userDataStream", 1,
              ("createMarginUserDataStream", "putMarginUserDataStream", "deleteMarginUserDataStream")),
    *_declare("/sapi/v1/userDataStream/isolated", 1,
              ("createIsolatedUserDataStream", "putIsolatedUserDataStream", "deleteIsolatedUserDataStream")),
    LISTEN_TOKEN,
)  # fmt: skip

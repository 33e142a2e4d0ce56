"""The control API under /_mock: JSON in and out, thin over the exchange's own methods.

Open to loopback callers. With an admin token every route but /_mock/health needs
`Authorization: Bearer <token>` (compared in constant time); without one, callers from any
other address are refused. No response ever carries a secret: keys are masked.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from mock_server.exchange import Exchange
from mock_server.http.openapi import openapi_document
from mock_server.http.page import ASSETS, page_response
from mock_server.rules import errors
from mock_server.rules.fidelity import DAY_MS
from mock_server.state.accounts import mask_key
from mock_server.state.journal import Entry
from mock_server.state.orders import Fill, Order
from mock_server.state.weights import MINUTE_MS
from mock_server.version import __version__

Handler = Callable[[Request], Awaitable[Response]]
MAX_CHART_MINUTES = 1_440


class ControlError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def is_loopback(host: str | None) -> bool:
    """A loopback address or name; also Starlette's in-process TestClient."""
    if host is None:
        return False
    return host in ("testclient", "localhost") or _is_loopback_ip(host)


def loopback_host(request: Request) -> bool:
    """The Host header names a loopback address (127.0.0.1, localhost, [::1]). A browser always
    sends one; a request without it is no page's. Starlette's in-process TestClient, which no
    browser can reach, sends its own name."""
    host = request.headers.get("host")
    if host is None:
        return True
    name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    name = name.strip("[]")
    if name == "testserver" and request.client is not None and request.client.host == "testclient":
        return True
    return name == "localhost" or _is_loopback_ip(name)


def _is_loopback_ip(name: str) -> bool:
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


_FILTERS = ("path", "apiKey", "status", "code", "since")


def since_id(query: Any) -> int:
    """?since=ID: only entries newer than the one a poller saw last (0: all)."""
    raw = query.get("since", "0")
    if not (raw.isascii() and raw.isdigit()):
        raise ControlError(400, f"since must be a journal entry id (a non-negative integer); got {raw!r}")
    return int(raw)


def journal_filter(query: Any) -> Callable[[Entry], bool]:
    """GET /_mock/requests?path=&apiKey=&status=&code=: every given filter must match."""
    unknown = sorted(set(query) - set(_FILTERS))
    if unknown:
        raise ControlError(400, f"unknown filter(s) {', '.join(unknown)}; known: {', '.join(_FILTERS)}")
    numbers: dict[str, int] = {}
    for name in ("status", "code"):
        if name in query:
            try:
                numbers[name] = int(query[name])
            except ValueError:
                raise ControlError(400, f"{name} must be an integer; got {query[name]!r}") from None
    path, key = query.get("path"), query.get("apiKey")
    masked = mask_key(key) if key is not None else None

    def keep(e: Entry) -> bool:
        return (
            (path is None or e.path == path)
            and (masked is None or e.api_key == masked)
            and ("status" not in numbers or e.status == numbers["status"])
            and ("code" not in numbers or e.code == numbers["code"])
        )

    return keep


async def no_route(request: Request, exc: Exception) -> Response:
    """404 and 405 under /_mock, in JSON like every other control answer."""
    status = getattr(exc, "status_code", 404)
    what = "no control route" if status == 404 else "the control route does not take"
    return JSONResponse(
        {"error": f"{what} {request.method} {request.url.path}; GET /_mock/openapi.json lists the routes"},
        status,
        headers=getattr(exc, "headers", None),
    )


async def _json(request: Request) -> Any:
    body = await request.body()
    if not body:
        raise ControlError(400, "expected a JSON body")
    try:
        return json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ControlError(400, f"body is not valid JSON: {exc}") from None


def control_routes(ex: Exchange, admin_token: str | None) -> list[Route]:
    def guarded(handler: Handler, open_route: bool = False, page: bool = False) -> Handler:
        """`page`: the page's static files, which hold no state, so a browser loads them without
        the token (the page then asks for it); without a token, the loopback checks still hold."""

        async def endpoint(request: Request) -> Response:
            if not open_route:
                # A web page the developer visits may POST here ("simple" requests need no
                # preflight): a call from another origin is refused.
                origin = request.headers.get("origin")
                if (
                    origin is not None
                    and origin != f"{request.url.scheme}://{request.headers.get('host', '')}"
                ):
                    return JSONResponse(
                        {"error": "the control API does not answer pages of other origins"}, 403
                    )
                if admin_token is not None:
                    if page:
                        return await handler(request)
                    given = request.headers.get("authorization", "")
                    expected = f"Bearer {admin_token}"
                    if not hmac.compare_digest(given.encode(), expected.encode()):
                        return JSONResponse({"error": "admin token required"}, 401)
                elif not is_loopback(request.client.host if request.client else None):
                    return JSONResponse({"error": "the control API answers loopback callers only"}, 403)
                elif not loopback_host(request):
                    # DNS rebinding: a page of evil.example resolved to 127.0.0.1 is same-origin
                    # with itself, so only the Host header shows it is not talking to localhost.
                    host = request.headers.get("host", "")
                    return JSONResponse({"error": f"the control API answers loopback host names only (Host: "
                                         f"{host}); serve with --admin-token to use another name"}, 403)  # fmt: skip
            try:
                return await handler(request)
            except ControlError as exc:
                return JSONResponse({"error": exc.message}, exc.status)
            except ValueError as exc:
                return JSONResponse({"error": str(exc)}, 400)

        return endpoint

    async def health(request: Request) -> Response:
        # The profile lets a contract run expect this mock's own fidelity choices.
        return JSONResponse(
            {
                "status": "ok",
                "version": __version__,
                "profile": ex.profile.to_dict(),
                "tiers": ex.tiers(),
                "cassette": ex.cassette_state(),
            }
        )

    async def add_fault(request: Request) -> Response:
        rule = ex.add_fault(await _json(request))
        return JSONResponse({"id": rule.id}, 201)

    async def list_faults(request: Request) -> Response:
        return JSONResponse({"faults": [r.to_dict(mask_key) for r in ex.fault_rules()]})

    async def delete_fault(request: Request) -> Response:
        raw = request.path_params["rule_id"]
        if not raw.isdigit() or not ex.remove_fault(int(raw)):
            raise ControlError(404, f"no fault rule {raw}")
        return Response(status_code=204)

    async def clear_faults(request: Request) -> Response:
        ex.clear_faults()
        return Response(status_code=204)

    async def get_clock(request: Request) -> Response:
        return JSONResponse(ex.clock_state().to_dict())

    async def list_streams(request: Request) -> Response:
        return JSONResponse({"connections": ex.stream_connections()})

    async def drop_streams(request: Request) -> Response:
        body = await request.body()
        data = await _json(request) if body.strip() else {}
        if not isinstance(data, dict) or set(data) - {"match"}:
            raise ControlError(400, 'the body is {"match": {...}} (or empty: every connection)')
        return JSONResponse({"dropped": ex.drop_streams(data.get("match"))})

    async def add_stream_fault(request: Request) -> Response:
        return JSONResponse(ex.add_stream_fault(await _json(request)), 201)

    async def list_stream_faults(request: Request) -> Response:
        return JSONResponse({"faults": ex.stream_fault_rules()})

    async def delete_stream_fault(request: Request) -> Response:
        raw = request.path_params["rule_id"]
        if not raw.isdigit() or not ex.remove_stream_fault(int(raw)):
            raise ControlError(404, f"no stream fault {raw}; GET /_mock/streams/faults lists them")
        return Response(status_code=204)

    async def clear_stream_faults(request: Request) -> Response:
        ex.clear_stream_faults()
        return Response(status_code=204)

    async def put_clock(request: Request) -> Response:
        ex.set_clock(await _json(request))
        return JSONResponse(ex.clock_state().to_dict())

    async def get_pacing(request: Request) -> Response:
        return JSONResponse({"min_interval_ms": ex.min_interval_ms})

    async def put_pacing(request: Request) -> Response:
        data = await _json(request)
        if not isinstance(data, dict) or set(data) != {"min_interval_ms"}:
            raise ControlError(400, 'pacing takes {"min_interval_ms": N}')
        ex.set_pacing(data["min_interval_ms"])
        return JSONResponse({"min_interval_ms": ex.min_interval_ms})

    async def add_transfers(request: Request) -> Response:
        data = await _json(request)
        if not isinstance(data, dict) or "rows" not in data:
            raise ControlError(400, 'expected {"apiKey": ..., "rows": [...]}')
        api_key = ex.account_key(data.get("apiKey"))
        added = ex.add_transfers(data["rows"], api_key)
        return JSONResponse({"added": added, "total": ex.transfer_count(api_key)}, 201)

    def key_of(request: Request) -> str | None:
        # The header first: a key in a URL ends up in logs.
        return request.headers.get("x-mbx-apikey") or request.query_params.get("apiKey")

    async def list_transfers(request: Request) -> Response:
        api_key = ex.account_key(key_of(request))
        return JSONResponse({"rows": ex.transfers(api_key)})

    async def clear_transfers(request: Request) -> Response:
        key = key_of(request)
        ex.clear_transfers(key)
        return Response(status_code=204)

    async def list_requests(request: Request) -> Response:
        keep = journal_filter(request.query_params)
        entries = ex.requests(since_id(request.query_params))
        return JSONResponse({"requests": [e.to_dict() for e in entries if keep(e)]})

    async def get_request(request: Request) -> Response:
        raw = request.path_params["entry_id"]
        entry = ex.request(int(raw)) if raw.isascii() and raw.isdigit() else None
        if entry is None:
            raise ControlError(404, f"no journal entry {raw} (the journal keeps the latest entries only)")
        return JSONResponse(entry.to_detail())

    async def list_errors(request: Request) -> Response:
        return JSONResponse({"errors": error_catalog()})

    async def get_weights(request: Request) -> Response:
        return JSONResponse(weight_usage(ex))

    async def get_data(request: Request) -> Response:
        return JSONResponse(data_summary(ex))

    async def ui_page(request: Request) -> Response:
        return page_response("index.html", token_required=admin_token is not None)

    async def ui_asset(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in ASSETS or name == "index.html":
            raise ControlError(404, f"the page has no file {name!r}; it has {', '.join(sorted(ASSETS))}")
        return page_response(name, token_required=admin_token is not None)

    def account_of(request: Request) -> str:
        # The full key, or its mask (vmPU...Eh8A) as the journal and /_mock/data show it.
        try:
            return ex.account_named(request.path_params["api_key"])
        except ValueError as exc:
            raise ControlError(404, str(exc)) from None

    async def list_accounts(request: Request) -> Response:
        return JSONResponse({"accounts": [{"apiKey": mask_key(a.api_key)} for a in ex.accounts()]})

    async def get_account(request: Request) -> Response:
        return JSONResponse(account_view(ex, account_of(request)))

    async def get_orders(request: Request) -> Response:
        symbol = request.query_params.get("symbol")
        open_only = request.query_params.get("open", "false")
        if open_only not in ("true", "false"):
            raise ControlError(400, f"open must be true or false; got {open_only!r}")
        orders = ex.orders(account_of(request), symbol, open_only == "true")
        return JSONResponse({"orders": [order_view(o) for o in orders]})

    async def get_trades(request: Request) -> Response:
        trades = ex.account_trades(account_of(request), request.query_params.get("symbol"))
        return JSONResponse({"trades": [trade_view(f) for f in trades]})

    async def put_balance(request: Request) -> Response:
        api_key = account_of(request)
        data = await _json(request)
        if (
            not isinstance(data, dict)
            or not {"asset", "free"} <= set(data)
            or set(data) - {"wallet", "asset", "free"}
        ):
            got = sorted(data) if isinstance(data, dict) else type(data).__name__
            raise ControlError(
                400, f'a balance is {{"wallet": "SPOT", "asset": "USDT", "free": "1000"}}; got {got}'
            )
        ex.set_balance(data.get("wallet", "SPOT"), data["asset"], data["free"], api_key)
        return JSONResponse(account_view(ex, api_key))

    def symbol_of(request: Request) -> str:
        symbol: str = request.path_params["symbol"]
        try:
            return ex.market_pair(symbol.upper()).symbol
        except ValueError as exc:
            raise ControlError(404, str(exc)) from None

    async def list_market(request: Request) -> Response:
        return JSONResponse({"symbols": ex.prices()})

    async def get_market(request: Request) -> Response:
        raw = request.query_params.get("minutes", "60")
        if not (raw.isascii() and raw.isdigit() and 1 <= int(raw) <= MAX_CHART_MINUTES):
            raise ControlError(400, f"minutes must be an integer from 1 to {MAX_CHART_MINUTES}; got {raw!r}")
        return JSONResponse(ex.price_entry(symbol_of(request), int(raw)))

    async def put_market(request: Request) -> Response:
        symbol = symbol_of(request)
        return JSONResponse(ex.steer(symbol, await _json(request)))

    async def delete_market(request: Request) -> Response:
        return JSONResponse(ex.release_price(symbol_of(request)))

    async def clear_requests(request: Request) -> Response:
        ex.clear_requests()
        return Response(status_code=204)

    async def reset(request: Request) -> Response:
        ex.reset()
        return JSONResponse({"status": "reset"})

    async def openapi(request: Request) -> Response:
        return JSONResponse(openapi_document(ex.endpoints(), ex.profile))

    table: list[tuple[str, str, Handler, bool]] = [
        ("/_mock/health", "GET", health, True),
        ("/_mock/openapi.json", "GET", openapi, True),
        ("/_mock/faults", "POST", add_fault, False),
        ("/_mock/faults", "GET", list_faults, False),
        ("/_mock/faults", "DELETE", clear_faults, False),
        ("/_mock/faults/{rule_id}", "DELETE", delete_fault, False),
        ("/_mock/streams", "GET", list_streams, False),
        ("/_mock/streams/drop", "POST", drop_streams, False),
        ("/_mock/streams/faults", "POST", add_stream_fault, False),
        ("/_mock/streams/faults", "GET", list_stream_faults, False),
        ("/_mock/streams/faults", "DELETE", clear_stream_faults, False),
        ("/_mock/streams/faults/{rule_id}", "DELETE", delete_stream_fault, False),
        ("/_mock/clock", "GET", get_clock, False),
        ("/_mock/clock", "PUT", put_clock, False),
        ("/_mock/pacing", "GET", get_pacing, False),
        ("/_mock/pacing", "PUT", put_pacing, False),
        ("/_mock/transfers", "POST", add_transfers, False),
        ("/_mock/transfers", "GET", list_transfers, False),
        ("/_mock/transfers", "DELETE", clear_transfers, False),
        ("/_mock/requests", "GET", list_requests, False),
        ("/_mock/requests", "DELETE", clear_requests, False),
        ("/_mock/requests/{entry_id}", "GET", get_request, False),
        ("/_mock/errors", "GET", list_errors, False),
        ("/_mock/weights", "GET", get_weights, False),
        ("/_mock/data", "GET", get_data, False),
        ("/_mock/accounts", "GET", list_accounts, False),
        ("/_mock/accounts/{api_key}", "GET", get_account, False),
        ("/_mock/accounts/{api_key}/balances", "PUT", put_balance, False),
        ("/_mock/accounts/{api_key}/orders", "GET", get_orders, False),
        ("/_mock/accounts/{api_key}/trades", "GET", get_trades, False),
        ("/_mock/market", "GET", list_market, False),
        ("/_mock/market/{symbol}", "GET", get_market, False),
        ("/_mock/market/{symbol}", "PUT", put_market, False),
        ("/_mock/market/{symbol}", "DELETE", delete_market, False),
        ("/_mock/reset", "POST", reset, False),
    ]
    return [
        *(
            Route(path, guarded(handler, open_route), methods=[method])
            for path, method, handler, open_route in table
        ),
        Route("/_mock/ui", guarded(ui_page, page=True), methods=["GET"]),
        Route("/_mock/ui/{name}", guarded(ui_asset, page=True), methods=["GET"]),
    ]


def error_catalog() -> list[dict[str, Any]]:
    """Every code a fault rule can name, with the message and status it answers by default."""
    return [
        {"code": s.code, "name": s.name, "status": s.status, "msg": s.template}
        for s in sorted(errors.CATALOG.values(), key=lambda s: -s.code)
    ]


def weight_usage(ex: Exchange) -> dict[str, Any]:
    """Weight spent in the mock's current minute, per counter (F18). Keys are masked: the UID
    counter is keyed by the API key as sent."""
    now = ex.now_ms()
    w = ex.weights
    return {
        "minute_start_ms": now // MINUTE_MS * MINUTE_MS,
        "api": {"limit": w.api_ip.limit, "used": [{"ip": ip, "used": n} for ip, n in w.api_ip.usage(now)]},
        "sapi_ip": {
            "limit": w.sapi_ip.limit,
            "used": [{"ip": ip, "path": p, "used": n} for (ip, p), n in _split(w.sapi_ip.usage(now))],
        },
        "sapi_uid": {
            "limit": w.sapi_uid.limit,
            "used": [
                {"apiKey": mask_key(who), "path": p, "used": n}
                for (who, p), n in _split(w.sapi_uid.usage(now))
            ],
        },
    }


def _split(usage: list[tuple[str, int]]) -> list[tuple[tuple[str, str], int]]:
    # A /sapi bucket is "<who> <path>"; a served path has no space, a key as sent might.
    return [((who, path), n) for (who, _, path), n in ((b.rpartition(" "), n) for b, n in usage)]


RECENT_TRADES = 100


def account_view(ex: Exchange, api_key: str) -> dict[str, Any]:
    """An account's wallets, open orders and newest trades as `GET /_mock/accounts/{apiKey}`
    shows them (the key masked)."""
    wallets = ex.balances(api_key)
    return {
        "apiKey": mask_key(api_key),
        "wallets": {w: {a: b.to_dict() for a, b in assets.items()} for w, assets in wallets.items()},
        "openOrders": [order_view(o) for o in ex.orders(api_key, open_only=True)],
        "trades": [trade_view(f) for f in ex.account_trades(api_key)[-RECENT_TRADES:]],
    }


def order_view(o: Order) -> dict[str, Any]:
    """An order as GET /api/v3/order shows it, with the wallet it trades from."""
    return {"wallet": o.wallet, **o.query_json()}


def trade_view(f: Fill) -> dict[str, Any]:
    return {"wallet": f.wallet, **f.trade_json()}


def data_summary(ex: Exchange) -> dict[str, Any]:
    """Each account's rows by asset and type and by UTC day, and how many the default and the
    maximum window ending now hold: what a call without startTime covers, without every row."""
    now = ex.now_ms()
    paging = ex.history().paging
    assert paging is not None
    default_ms, max_ms = paging.default_window_ms, paging.max_window_ms
    windows = (default_ms, max_ms)
    accounts = []
    for account in ex.accounts():
        s = ex.transfer_summary(account.api_key, now, windows)
        accounts.append(
            {
                "apiKey": mask_key(account.api_key),
                "rows": s.rows,
                "byAsset": s.by_asset,
                "days": [list(d) for d in s.days],
                "inDefaultWindow": s.in_window[default_ms],
                "inMaxWindow": s.in_window[max_ms],
            }
        )
    return {
        "now_ms": now,
        "day_ms": DAY_MS,
        "default_window_ms": default_ms,
        "max_window_ms": max_ms,
        "accounts": accounts,
    }

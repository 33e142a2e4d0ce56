"""The endpoint's parameter rules (the page's table; F3, F4, F9-F12, F29)."""

from __future__ import annotations

from binance_mock.contracts.context import Context
from binance_mock.contracts.facts import DEFAULT_SIZE, LONG_LEGAL_RANGE, MAX_SIZE, errors
from binance_mock.contracts.registry import check, expect
from binance_mock.contracts.target import Answer


def _code(answer_json: object) -> object:
    return answer_json.get("code") if isinstance(answer_json, dict) else None


@check(
    "param.size_default",
    "Without size a page holds min(10, total) rows.",
    "page: size Default:10",
)
def size_default(ctx: Context) -> None:
    body = ctx.ok(ctx.window30())
    total = ctx.reference()["total"]
    expect(
        len(ctx.rows(body)) == min(DEFAULT_SIZE, total),
        f"no size: {len(ctx.rows(body))} rows, expected min(10, {total})",
    )


@check("param.size_max", "size=100 is accepted and a page holds min(100, total) rows.", "page: size Max:100")
def size_max(ctx: Context) -> None:
    body = ctx.reference()
    expect(
        len(ctx.rows(body)) == min(MAX_SIZE, body["total"]),
        f"size=100: {len(ctx.rows(body))} rows for total {body['total']}",
    )


@check(
    "param.size_over_max",
    "size=101 is -1130 \"Data sent for parameter 'size' is not valid.\" (or: clamped to 100).",
    "F3",
    decision="size_over_max",
)
def size_over_max(ctx: Context) -> None:
    answer = ctx.get([*ctx.window30(), ("size", MAX_SIZE + 1)])
    if answer.status == 200 and isinstance(answer.json, dict):
        ctx.observe("size_over_max", "clamp", "size=101 answered 200")
        total = ctx.reference()["total"]
        n = len(ctx.rows(answer.json))
        expect(n == min(MAX_SIZE, total), f"size=101 clamped to {n} rows, expected min(100, {total})")
    elif _code(answer.json) == errors.INVALID_PARAMETER.code:
        ctx.observe("size_over_max", "error", "size=101 answered -1130")
        ctx.expect_error(answer, errors.INVALID_PARAMETER, "size")
    else:
        ctx.observe("size_over_max", None, answer.describe())


@check(
    "param.below_min",
    "size=0 and current=0 are each -1130 for that parameter (or: both treated as the default).",
    "F4",
    decision="below_min",
)
def below_min(ctx: Context) -> None:
    seen: dict[str, str | None] = {}
    for name in ("size", "current"):
        answer = ctx.get([*ctx.window30(), (name, 0)])
        if answer.status == 200:
            seen[name] = "default"
            got = [r.get("txId") for r in ctx.rows(answer.json)]
            want = [r.get("txId") for r in ctx.rows(ctx.ok(ctx.window30()))]
            expect(got == want, f"{name}=0 answered 200 but not the default first page of 10")
        elif _code(answer.json) == errors.INVALID_PARAMETER.code:
            seen[name] = "error"
            ctx.expect_error(answer, errors.INVALID_PARAMETER, name, what=f"{name}=0")
        else:
            seen[name] = None
            ctx.observe("below_min", None, f"{name}=0 gave {answer.describe()}")
    values = set(seen.values())
    if len(values) != 1:
        ctx.observe("below_min", None, f"size=0 and current=0 disagree: {seen}")
    ctx.observe("below_min", values.pop(), f"size=0 and current=0: {seen['size']}")


@check(
    "param.bad_type",
    "type=ROLL_SIDEWAYS is -1130 \"Data sent for parameter 'type' is not valid.\" (or: -1100).",
    "F9",
    decision="bad_type",
)
def bad_type(ctx: Context) -> None:
    classify_invalid(ctx, "bad_type", ctx.get([("type", "ROLL_SIDEWAYS")]), "type", "type=ROLL_SIDEWAYS")


def classify_invalid(ctx: Context, decision: str, answer: Answer, name: str, what: str) -> None:
    """A value outside an enum: -1130 naming the parameter, or -1100; anything else matches neither."""
    code = _code(answer.json)
    if code == errors.INVALID_PARAMETER.code:
        ctx.observe(decision, "-1130", f"{what} answered -1130")
        ctx.expect_error(answer, errors.INVALID_PARAMETER, name)
    elif code == errors.ILLEGAL_CHARS.code and answer.status == errors.ILLEGAL_CHARS.status:
        ctx.observe(decision, "-1100", f"{what} answered -1100")
    else:
        ctx.observe(decision, None, answer.describe())


@check(
    "param.spec_enum",
    "On another signed read, GET /sapi/v1/margin/openOrders, isIsolated=MAYBE is -1130 "
    "\"Data sent for parameter 'isIsolated' is not valid.\" (or: -1100). Live-safe.",
    "F38",
    decision="bad_enum",
)
def spec_enum(ctx: Context) -> None:
    answer = ctx.get([("isIsolated", "MAYBE")], path="/sapi/v1/margin/openOrders")
    classify_invalid(ctx, "bad_enum", answer, "isIsolated", "isIsolated=MAYBE")


@check(
    "param.long_malformed",
    "startTime=abc is -1100 \"Illegal characters found in parameter 'startTime'; legal range is ...\".",
    "F10",
)
def long_malformed(ctx: Context) -> None:
    answer = ctx.get([("startTime", "abc")])
    ctx.expect_error(answer, errors.ILLEGAL_CHARS_PARAM, "startTime", LONG_LEGAL_RANGE, what="startTime=abc")


@check(
    "param.long_overflow",
    "endTime beyond int64 (20 digits) is -1100 for 'endTime'.",
    "F10",
)
def long_overflow(ctx: Context) -> None:
    answer = ctx.get([("endTime", "99999999999999999999")])
    ctx.expect_error(answer, errors.ILLEGAL_CHARS_PARAM, "endTime", LONG_LEGAL_RANGE, what="endTime 2^66")


@check(
    "param.duplicate", 'A parameter sent twice is -1101 "Duplicate values for a parameter detected."', "F11"
)
def duplicate(ctx: Context) -> None:
    answer = ctx.get([("asset", "BTC"), ("asset", "ETH")])
    ctx.expect_error(answer, errors.DUPLICATE_PARAM, what="asset twice")


@check(
    "param.unknown",
    "An unknown parameter (archived=true) is ignored (or: -1104).",
    "F12",
    decision="unknown_param",
)
def unknown(ctx: Context) -> None:
    answer = ctx.get([*ctx.window30(), ("size", MAX_SIZE), ("archived", "true")])
    if answer.status == 200 and isinstance(answer.json, dict):
        ctx.observe("unknown_param", "ignore", "archived=true answered 200")
        ref = ctx.reference()
        expect(answer.json.get("total") == ref["total"], "archived=true changed the total: not ignored")
    elif _code(answer.json) == errors.UNREAD_PARAMETERS.code:
        ctx.observe("unknown_param", "error", "archived=true answered -1104")
    else:
        ctx.observe("unknown_param", None, answer.describe())


@check("param.empty_optional", "An optional parameter sent empty (asset=) counts as not sent.", "F29")
def empty_optional(ctx: Context) -> None:
    body = ctx.ok([*ctx.window30(), ("asset", ""), ("size", MAX_SIZE)])
    ref = ctx.reference()
    expect(
        body.get("total") == ref["total"], f"asset= gave total {body.get('total')}, without it {ref['total']}"
    )

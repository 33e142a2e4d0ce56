"""Response headers and the public endpoints clients call around a signed one (§7, §8; F18, F19)."""

from __future__ import annotations

from binance_mock.contracts.context import Context
from binance_mock.contracts.facts import MAX_SIZE, SAPI_MEDIA_TYPE
from binance_mock.contracts.registry import check, expect
from binance_mock.contracts.target import WEIGHT_HEADER, Answer


def _weight(answer: Answer, what: str) -> int:
    value = answer.headers.get(WEIGHT_HEADER)
    expect(value is not None, f"{what}: no {WEIGHT_HEADER} header")
    assert value is not None
    expect(value.strip().isdigit(), f"{what}: {WEIGHT_HEADER} is {value!r}, not an integer")
    return int(value)


@check("hdr.content_type", "A 200 answer of /sapi is Content-Type application/json.", "F19, §8")
def content_type(ctx: Context) -> None:
    answer = ctx.answer([*ctx.window30(), ("size", MAX_SIZE)])
    expect(
        answer.media_type == SAPI_MEDIA_TYPE,
        f"Content-Type {answer.headers.get('Content-Type')!r}, expected {SAPI_MEDIA_TYPE}",
    )


@check("hdr.weight", f"Every answer carries {WEIGHT_HEADER}, an integer of at least 1.", "F18, §4, §8")
def weight(ctx: Context) -> None:
    answer = ctx.answer([*ctx.window30(), ("size", MAX_SIZE)])
    expect(_weight(answer, "200 answer") >= 1, f"{WEIGHT_HEADER} below 1 after a request")


@check("hdr.weight_on_error", f"An error answer carries {WEIGHT_HEADER} too.", "F18, F34")
def weight_on_error(ctx: Context) -> None:
    answer = ctx.get([("size", 1)], spoil="zeros")
    expect(answer.status == 400, f"bad signature answered {answer.describe()}")
    _weight(answer, "error answer")


@check(
    "hdr.weight_counts",
    "Each call spends weight 1: the header grows by at least 1 within a minute.",
    "page, F18",
)
def weight_counts(ctx: Context) -> None:
    first = _weight(ctx.get([("size", 1)]), "first call")
    second = _weight(ctx.get([("size", 1)]), "second call")
    # A smaller value means a new minute began; a larger step means other clients share the IP.
    expect(second != first, f"{WEIGHT_HEADER} stayed at {first} across two calls")


@check("public.time", 'GET /api/v3/time answers 200 {"serverTime": <int ms>} as JSON.', "§7, F19")
def server_time(ctx: Context) -> None:
    answer = ctx.target.public_get("/api/v3/time")
    body = answer.json
    expect(answer.status == 200 and isinstance(body, dict) and set(body) == {"serverTime"},
           f"/api/v3/time answered {answer.describe()}")  # fmt: skip
    assert isinstance(body, dict)
    expect(isinstance(body["serverTime"], int) and body["serverTime"] > 10**12, "serverTime is not in ms")
    expect(answer.media_type == "application/json", f"Content-Type {answer.headers.get('Content-Type')!r}")
    expect(abs(body["serverTime"] - ctx.now_ms()) < 60_000, "serverTime differs from the signing clock")


@check("public.ping", "GET /api/v3/ping answers 200 {}.", "§7")
def ping(ctx: Context) -> None:
    answer = ctx.target.public_get("/api/v3/ping")
    expect(answer.status == 200 and answer.json == {}, f"/api/v3/ping answered {answer.describe()}")

"""timestamp and recvWindow (§2; F10, F16, F20)."""

from __future__ import annotations

from binance_mock.contracts.context import Context
from binance_mock.contracts.facts import (
    DEFAULT_RECV_WINDOW_MS,
    FUTURE_TOLERANCE_MS,
    LONG_LEGAL_RANGE,
    MAX_RECV_WINDOW_MS,
    errors,
)
from binance_mock.contracts.registry import check


@check(
    "ts.missing",
    "A request without timestamp is -1102 \"Mandatory parameter 'timestamp' ...\".",
    "§2, F15",
)
def ts_missing(ctx: Context) -> None:
    answer = ctx.target.signed_get([("size", 1)], ts=None)  # signed, without a timestamp
    ctx.expect_error(answer, errors.MANDATORY_PARAM, "timestamp", what="no timestamp")


@check("ts.malformed", "A timestamp that is not digits is -1102 for 'timestamp'.", "F10")
def ts_malformed(ctx: Context) -> None:
    answer = ctx.target.signed_get([("size", 1)], ts="12ab")
    ctx.expect_error(answer, errors.MANDATORY_PARAM, "timestamp", what="timestamp=12ab")


@check(
    "ts.ahead",
    'A timestamp 5 s ahead of the server is -1021 "...was 1000ms ahead of the server\'s time."',
    "§2",
)
def ts_ahead(ctx: Context) -> None:
    answer = ctx.get([("size", 1)], ts=ctx.now_ms() + 5_000)
    ctx.expect_error(answer, errors.TIMESTAMP_AHEAD, what="timestamp 5 s ahead")


@check(
    "ts.behind",
    'A timestamp older than the default recvWindow (5000 ms) is -1021 "...outside of the recvWindow."',
    "§2",
)
def ts_behind(ctx: Context) -> None:
    answer = ctx.get([("size", 1)], ts=ctx.now_ms() - DEFAULT_RECV_WINDOW_MS - 5_000)
    ctx.expect_error(answer, errors.TIMESTAMP_OUTSIDE_WINDOW, what="timestamp 10 s old")


@check("ts.recv_window_widens", "recvWindow=20000 accepts a timestamp 10 s old.", "§2")
def recv_window_widens(ctx: Context) -> None:
    answer = ctx.get([("size", 1), ("recvWindow", 20_000)], ts=ctx.now_ms() - 10_000)
    ctx.expect_ok(answer, "recvWindow=20000, timestamp 10 s old")


@check(
    "ts.boundary_ahead",
    "With the clock frozen at T: timestamp T+999 is accepted, T+1000 is -1021 (1000ms ahead).",
    "§2",
    control=True,
)
def boundary_ahead(ctx: Context) -> None:
    ctx.seeded("freeze the clock")
    now = ctx.now_ms()
    ctx.expect_ok(ctx.get([("size", 1)], ts=now + FUTURE_TOLERANCE_MS - 1), "timestamp T+999")
    ctx.expect_error(
        ctx.get([("size", 1)], ts=now + FUTURE_TOLERANCE_MS), errors.TIMESTAMP_AHEAD, what="timestamp T+1000"
    )


@check(
    "ts.boundary_window",
    "Frozen at T: a timestamp exactly recvWindow old is accepted, one more ms is -1021 (5000 and 60000).",
    "§2",
    control=True,
)
def boundary_window(ctx: Context) -> None:
    ctx.seeded("freeze the clock")
    now = ctx.now_ms()
    for rw in (None, MAX_RECV_WINDOW_MS):
        extra = [("recvWindow", rw)] if rw else []
        window = rw or DEFAULT_RECV_WINDOW_MS
        ctx.expect_ok(ctx.get([("size", 1), *extra], ts=now - window), f"timestamp exactly {window} ms old")
        ctx.expect_error(
            ctx.get([("size", 1), *extra], ts=now - window - 1),
            errors.TIMESTAMP_OUTSIDE_WINDOW,
            what=f"timestamp {window + 1} ms old",
        )


@check(
    "ts.microseconds",
    "A 16-digit (microsecond) timestamp is far ahead: -1021 (or: accepted as µs).",
    "F20",
    decision="microsecond_timestamp",
)
def microseconds(ctx: Context) -> None:
    answer = ctx.get([("size", 1)], ts=ctx.now_ms() * 1000)
    ctx.observe_accepted_or_refused(
        answer, "microsecond_timestamp", "accept", "reject", errors.TIMESTAMP_AHEAD, "a µs timestamp"
    )


@check("rw.max_accepted", "recvWindow=60000 (the maximum) is accepted.", "page: cannot be greater than 60000")
def rw_max(ctx: Context) -> None:
    ctx.expect_ok(ctx.get([("size", 1), ("recvWindow", MAX_RECV_WINDOW_MS)]), "recvWindow=60000")


@check(
    "rw.over_max",
    'recvWindow=60001 is -1131 "recvWindow must be less than 60000", HTTP 400.',
    "§2, F16",
)
def rw_over(ctx: Context) -> None:
    answer = ctx.get([("size", 1), ("recvWindow", MAX_RECV_WINDOW_MS + 1)])
    ctx.expect_error(answer, errors.BAD_RECV_WINDOW, what="recvWindow=60001")


@check(
    "rw.malformed",
    "recvWindow that is not a LONG is -1100 \"Illegal characters found in parameter 'recvWindow'...\".",
    "F10",
)
def rw_malformed(ctx: Context) -> None:
    answer = ctx.get([("size", 1), ("recvWindow", "5000.5")])
    ctx.expect_error(
        answer, errors.ILLEGAL_CHARS_PARAM, "recvWindow", LONG_LEGAL_RANGE, what="recvWindow=5000.5"
    )


@check(
    "precedence.recv_window_before_timestamp",
    "recvWindow over the maximum is reported before an expired timestamp: -1131.",
    "F16",
)
def rw_before_ts(ctx: Context) -> None:
    answer = ctx.get([("size", 1), ("recvWindow", MAX_RECV_WINDOW_MS + 1)], ts=ctx.now_ms() - 600_000)
    ctx.expect_error(answer, errors.BAD_RECV_WINDOW, what="recvWindow=60001 and an old timestamp")

"""The time window: 7 days by default, 30 days at most, inclusive bounds (page; F6-F8, F25)."""

from __future__ import annotations

from binance_mock.contracts import dataset
from binance_mock.contracts.context import Context
from binance_mock.contracts.facts import (
    DAY_MS,
    DEFAULT_WINDOW_MS,
    MAX_SIZE,
    MAX_WINDOW_MS,
    WINDOW_HOURS,
    errors,
)
from binance_mock.contracts.registry import Skipped, check, expect
from binance_mock.contracts.target import Answer


def _code(answer: Answer) -> object:
    return answer.json.get("code") if isinstance(answer.json, dict) else None


def _is_window_error(answer: Answer) -> bool:
    return _code(answer) in (errors.MORE_THAN_HOURS.code, errors.BAD_DATE_RANGE.code)


@check("window.max_accepted", "A window of exactly 30 days (2,592,000,000 ms) is accepted.", "page, F6")
def max_accepted(ctx: Context) -> None:
    end = ctx.now_ms()
    ctx.expect_ok(
        ctx.get([("startTime", end - MAX_WINDOW_MS), ("endTime", end), ("size", 1)]), "30-day window"
    )


@check(
    "window.over_max",
    'A window 1 ms over 30 days is -1127 "More than 720 hours between startTime and endTime." (or: -3011).',
    "page, F7",
    decision="window_too_long",
)
def over_max(ctx: Context) -> None:
    end = ctx.now_ms()
    answer = ctx.get([("startTime", end - MAX_WINDOW_MS - 1), ("endTime", end), ("size", 1)])
    code = _code(answer)
    if code == errors.MORE_THAN_HOURS.code:
        ctx.observe("window_too_long", "-1127", "a 30-day-plus-1-ms window got -1127")
        ctx.expect_error(answer, errors.MORE_THAN_HOURS, WINDOW_HOURS)
    elif code == errors.BAD_DATE_RANGE.code:
        ctx.observe("window_too_long", "-3011", "a 30-day-plus-1-ms window got -3011")
        ctx.expect_error(answer, errors.BAD_DATE_RANGE)
    else:
        ctx.observe("window_too_long", None, answer.describe())


@check(
    "window.start_after_end",
    'startTime > endTime is -3011 "Your input date is invalid." (or: an empty result).',
    "F8",
    decision="start_after_end",
)
def start_after_end(ctx: Context) -> None:
    end = ctx.now_ms() - DAY_MS
    answer = ctx.get([("startTime", end + 1), ("endTime", end)])
    if answer.status == 200 and isinstance(answer.json, dict):
        ctx.observe("start_after_end", "empty", "startTime > endTime answered 200")
        expect(answer.json.get("total") == 0 and not ctx.rows(answer.json), "startTime > endTime: not empty")
    elif _code(answer) == errors.BAD_DATE_RANGE.code:
        ctx.observe("start_after_end", "error", "startTime > endTime answered -3011")
        ctx.expect_error(answer, errors.BAD_DATE_RANGE)
    else:
        ctx.observe("start_after_end", None, answer.describe())


@check(
    "window.only_start",
    "With only startTime the window ends now, so startTime 40 days ago is too long (or: ends startTime+7d).",
    "F6",
    decision="missing_end",
)
def only_start(ctx: Context) -> None:
    start = ctx.now_ms() - 40 * DAY_MS
    answer = ctx.get([("startTime", start), ("size", MAX_SIZE)])
    if answer.status == 200 and isinstance(answer.json, dict):
        ctx.observe("missing_end", "start_plus_7d", "startTime 40 days ago alone answered 200")
        late = [r for r in ctx.rows(answer.json) if not start <= ctx.row_ms(r) <= start + DEFAULT_WINDOW_MS]
        expect(not late, f"{len(late)} rows outside [startTime, startTime + 7 days]")
    elif _is_window_error(answer):
        ctx.observe("missing_end", "now", "startTime 40 days ago alone was refused as a too-long window")
    else:
        ctx.observe("missing_end", None, answer.describe())


@check(
    "window.default_7d",
    "Without startTime and endTime only the last 7 days are returned (inclusive of now-7d and now).",
    "page, F6, F25",
)
def default_7d(ctx: Context) -> None:
    now = ctx.now_ms()
    body = ctx.ok([("size", MAX_SIZE)])
    rows = ctx.rows(body)
    if ctx.data is not None:
        want = ctx.data.select(now - DEFAULT_WINDOW_MS, now)
        expect(
            body.get("total") == len(want), f"default window: total {body.get('total')}, expected {len(want)}"
        )
        expect(rows == want[:MAX_SIZE], "default window: rows differ from the seeded rows of the last 7 days")
        return
    slack = 60_000  # our estimate of the server clock is approximate
    outside = [r for r in rows if not now - DEFAULT_WINDOW_MS - slack <= ctx.row_ms(r) <= now + slack]
    expect(not outside, f"default window returned {len(outside)} rows older than 7 days or in the future")


@check(
    "window.default_not_wider",
    "Without startTime and endTime the total is no more than an explicit window of the last 7 days "
    "holds, while a 30-day window can hold more: the default is 7 days, not a wider window. Live-safe.",
    "page, F6",
)
def default_not_wider(ctx: Context) -> None:
    slack = 60_000  # our estimate of the server clock is approximate: widen, never narrow
    before = ctx.now_ms()
    default = ctx.ok([("size", MAX_SIZE)])
    seven = ctx.ok([("startTime", before - DEFAULT_WINDOW_MS - slack), ("endTime", ctx.now_ms() + slack),
                    ("size", MAX_SIZE)])  # fmt: skip
    expect(
        default.get("total", 0) <= seven.get("total", 0),
        f"the default window holds {default.get('total')} rows, more than the last 7 days "
        f"({seven.get('total')}): the default is wider than 7 days",
    )
    wide = ctx.reference()
    if wide.get("total", 0) <= seven.get("total", 0):
        raise Skipped("the account has no rows between 7 and 30 days old: a wider default cannot show here")


@check(
    "window.inclusive_bounds",
    "startTime and endTime are both inclusive: a row at either bound is in, 1 ms outside is out.",
    "F25",
)
def inclusive(ctx: Context) -> None:
    if ctx.data is not None:
        s, e = dataset.BOUND_START, dataset.BOUND_END
        body = ctx.ok([("startTime", s), ("endTime", e), ("asset", dataset.BOUND_ASSET)])
        want = ctx.data.select(s, e, asset=dataset.BOUND_ASSET)
        got = [r.get("txId") for r in ctx.rows(body)]
        expect(
            got == [r["txId"] for r in want], f"bounds [{s}, {e}]: txIds {got}, expected rows at both bounds"
        )
        return
    rows = ctx.rows(ctx.reference())
    if not rows:
        raise Skipped("the account has no transfers in the last 30 days")
    row = rows[len(rows) // 2]
    ts = ctx.row_ms(row)
    if ts != row["timestamp"]:
        raise Skipped("rows show seconds: a one-row window cannot be aimed at a row")
    body = ctx.ok([("startTime", ts), ("endTime", ts), ("size", MAX_SIZE)])
    got = [r.get("txId") for r in ctx.rows(body)]
    expect(row["txId"] in got, f"a window [t, t] around a row at t does not return it (got {len(got)} rows)")


@check("window.rows_within", "Every row of an explicit window lies within [startTime, endTime].", "page")
def rows_within(ctx: Context) -> None:
    params = dict(ctx.window30())
    # Rows shown in seconds (F1) lose the milliseconds: allow the start's own second.
    start, end = int(params["startTime"]) // 1000 * 1000, int(params["endTime"])
    bad = [r for r in ctx.rows(ctx.reference()) if not start <= ctx.row_ms(r) <= end]
    expect(not bad, f"{len(bad)} rows outside the requested window")

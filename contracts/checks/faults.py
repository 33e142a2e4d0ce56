"""Injected errors through the control API (docs/control-api.md; F16, F17, F22). Skipped on live."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import requests

from binance_mock.contracts.context import Context
from binance_mock.contracts.facts import errors
from binance_mock.contracts.registry import Failed, check, expect
from binance_mock.contracts.target import WEIGHT_HEADER, Control


@contextmanager
def _faults(ctx: Context, what: str) -> Iterator[Control]:
    ctx.seeded(what)  # a frozen clock keeps the signed timestamps valid whatever the rule delays
    control = ctx.need_control(what)
    control.clear_faults()
    try:
        yield control
    finally:
        control.clear_faults()


@check(
    "fault.oneshot",
    "An injected -3020 with times=1 answers the next call with the catalog's message and HTTP 400, then "
    "calls succeed.",
    "control-api.md, F17",
    control=True,
)
def oneshot(ctx: Context) -> None:
    with _faults(ctx, "inject faults") as control:
        control.inject(errors.EXCEED_MAX_ROLLOUT.code, times=1)
        answer = ctx.get([("size", 1)])
        ctx.expect_error(answer, errors.EXCEED_MAX_ROLLOUT, what="injected -3020")
        expect(WEIGHT_HEADER in answer.headers, f"injected error without {WEIGHT_HEADER}")
        ctx.expect_ok(ctx.get([("size", 1)]), "the call after a one-shot fault")


@check("fault.times", "A rule with times=2 fails exactly the next two calls.", "control-api.md", control=True)
def times(ctx: Context) -> None:
    with _faults(ctx, "inject faults") as control:
        control.inject(errors.SYSTEM_BUSY.code, times=2)
        for i in (1, 2):
            ctx.expect_error(ctx.get([("size", 1)]), errors.SYSTEM_BUSY, what=f"call {i} of 2")
        ctx.expect_ok(ctx.get([("size", 1)]), "the third call")


@check(
    "fault.default_status",
    "Injected -1000 and -1001 answer HTTP 500 and 503 with their catalog messages.",
    "F17",
    control=True,
)
def default_status(ctx: Context) -> None:
    with _faults(ctx, "inject faults") as control:
        for spec in (errors.UNKNOWN, errors.DISCONNECTED):
            control.inject(spec.code, times=1)
            ctx.expect_error(ctx.get([("size", 1)]), spec, what=f"injected {spec.code}")


@check(
    "fault.args",
    "An injected -3065 fills the page's three %s from the rule's args.",
    "F22",
    control=True,
)
def args(ctx: Context) -> None:
    with _faults(ctx, "inject faults") as control:
        values = ["BNB", "1.5", "BNB"]
        control.inject(errors.PREPAREDELIST_CANT_TRANSFER_IN.code, times=1, args=values)
        ctx.expect_error(ctx.get([("size", 1)]), errors.PREPAREDELIST_CANT_TRANSFER_IN, *values)


@check(
    "fault.http_status",
    "A rule's http_status overrides the code's usual status.",
    "control-api.md",
    control=True,
)
def http_status(ctx: Context) -> None:
    with _faults(ctx, "inject faults") as control:
        control.inject(errors.SYSTEM_BUSY.code, times=1, http_status=503)
        answer = ctx.get([("size", 1)])
        want = {"code": errors.SYSTEM_BUSY.code, "msg": errors.SYSTEM_BUSY.template}
        expect(answer.status == 503 and answer.json == want, f"expected 503 {want}, got {answer.describe()}")


@check(
    "fault.match",
    "A rule matching params only fires on requests carrying those params.",
    "control-api.md",
    control=True,
)
def match(ctx: Context) -> None:
    with _faults(ctx, "inject faults") as control:
        control.inject(errors.EXCEED_MAX_ROLLOUT.code, times=1, match={"params": {"asset": "PGA"}})
        ctx.expect_ok(ctx.get([("asset", "ISO")]), "a request the rule does not match")
        ctx.expect_error(ctx.get([("asset", "PGA")]), errors.EXCEED_MAX_ROLLOUT, what="the matching request")


@check(
    "fault.after_checks",
    "Injected faults come after the signed checks: a badly signed call gets -1022 and leaves the fault.",
    "F16",
    control=True,
)
def after_checks(ctx: Context) -> None:
    with _faults(ctx, "inject faults") as control:
        control.inject(errors.EXCEED_MAX_ROLLOUT.code, times=1)
        bad = ctx.get([("size", 1)], spoil="zeros")
        ctx.expect_error(bad, errors.INVALID_SIGNATURE, what="a bad signature while a fault is armed")
        ctx.expect_error(ctx.get([("size", 1)]), errors.EXCEED_MAX_ROLLOUT, what="the next good call")


@check("fault.delay", "A delay_ms rule without code only adds latency.", "control-api.md", control=True)
def delay(ctx: Context) -> None:
    with _faults(ctx, "inject faults") as control:
        control.inject(None, times=1, delay_ms=300)
        answer = ctx.get([("size", 1)])
        ctx.expect_ok(answer, "a delayed call")
        expect(answer.elapsed_s >= 0.29, f"delay_ms=300 answered in {answer.elapsed_s * 1000:.0f} ms")


@check(
    "fault.connection",
    "fault=empty_reply and fault=reset drop the connection without an HTTP answer.",
    "control-api.md",
    control=True,
)
def connection(ctx: Context) -> None:
    with _faults(ctx, "inject faults") as control:
        for kind in ("empty_reply", "reset"):
            control.inject(None, times=1, fault=kind)
            try:
                answer = ctx.get([("size", 1)])
            except requests.RequestException:
                continue
            raise Failed(f"fault={kind}: got an HTTP answer {answer.describe()}")
        ctx.expect_ok(ctx.get([("size", 1)]), "the call after the dropped ones")


@check(
    "fault.pacing",
    'Under 500 ms pacing a second call right after the first gets -21003 "Fail to retrieve margin assets."',
    "page (NET_ASSET_MUST_LTE_RATIO), F23",
    control=True,
)
def pacing(ctx: Context) -> None:
    with _faults(ctx, "set pacing") as control:
        control.pacing(500)
        try:
            ctx.expect_ok(ctx.get([("size", 1)]), "the first call under pacing")
            answer = ctx.get([("size", 1)])  # the clock is frozen: 0 ms later
            ctx.expect_error(answer, errors.NET_ASSET_MUST_LTE_RATIO, what="the second call within 500 ms")
        finally:
            control.pacing(0)

"""The contract suite against deliberately broken variants of the mock, one rule each.

Each mutant patches the running mock in-process (the `MockBinance` thread shares this
process) at a stable seam: a step function of `rules/security.py`, the endpoint's declaration
(its `rules`, `answer` or parameters, swapped in the mock's registry), `Ledger.query`, a
fidelity constant, the pipeline's profile or weight counting, the fault rule, the exchange's
`handle`. It never edits the error catalog: the catalog is the shared *fact*, so changing it
would change the expected answer too.

A mutant counts as killed only when the whole suite fails exactly the checks it names (the
one it is designed for, and those it breaks as well for a reason given where it is declared),
and the mutated mock served every request without an exception or a 5xx of its own: a mock
that crashes fails checks for no rule's sake. `python tests/test_contract_mutants.py` prints
every mutant with the checks it failed (docs/contracts.md's table) and exits 1 unless each is
killed for its reason.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from binance_mock.contracts.checks import all_checks
from binance_mock.contracts.runner import ERROR, FAILED, NOT_RUN, Config, Report, run, summary
from binance_mock.contracts.target import Credentials
from mock_server import MockBinance
from mock_server.endpoints import margin_transfer
from mock_server.exchange import pipeline
from mock_server.exchange.wire import Call, Reply
from mock_server.injection import faults
from mock_server.rules import errors, security
from mock_server.rules.errors import BinanceError
from mock_server.rules.params import Long, Params
from mock_server.state import accounts, pacing

DAY_MS = 86_400_000


class Patcher:
    """A tiny monkeypatch that undoes itself (usable outside pytest, for the CLI run), which
    can also swap the margin endpoint's declaration in the running mock."""

    def __init__(self, mock: MockBinance) -> None:
        self.mock = mock
        self._undo: list[Callable[[], None]] = []

    def setattr(self, target: Any, name: str, value: Any) -> None:
        old = getattr(target, name)
        self._undo.append(lambda: setattr(target, name, old))
        setattr(target, name, value)

    def endpoint(self, **changes: Any) -> None:
        registry = self.mock.exchange.registry
        current = registry.find("GET", margin_transfer.PATH)
        old = registry.replace(dataclasses.replace(current, **changes))
        self._undo.append(lambda: registry.replace(old))

    def undo(self) -> None:
        while self._undo:
            self._undo.pop()()


Patch = Callable[[Patcher], None]


@dataclass(frozen=True)
class Mutant:
    name: str
    breaks: str  # the rule it breaks, in words
    check: str  # the check it is designed to be caught by
    patch: Patch
    also: frozenset[str] = frozenset()  # the other checks it must fail, and no more
    serves_5xx: bool = False  # its broken rule answers a 5xx (an answer, not a crash)

    @property
    def kills(self) -> frozenset[str]:
        return self.also | {self.check}


# --- seams ---


def _current(p: Patcher, name: str) -> Any:
    return getattr(p.mock.exchange.endpoint("GET", margin_transfer.PATH), name)


def _on_error(
    target: Any, name: str, change: Callable[[BinanceError, tuple[Any, ...]], BinanceError | None]
) -> Patch:
    """Rewrite the errors a function raises (a security step, the parameter reader)."""

    def patch(p: Patcher) -> None:
        orig = getattr(target, name)

        def wrapped(*a: Any, **kw: Any) -> Any:
            try:
                return orig(*a, **kw)
            except BinanceError as err:
                raise (change(err, a) or err) from None

        p.setattr(target, name, wrapped)

    return patch


def _step_error(step: str, change: Callable[[BinanceError, tuple[Any, ...]], BinanceError | None]) -> Patch:
    return _on_error(security, step, change)


def _rules_error(change: Callable[[BinanceError, tuple[Any, ...]], BinanceError | None]) -> Patch:
    """Rewrite the errors of the endpoint's own rules (the window)."""

    def patch(p: Patcher) -> None:
        orig = _current(p, "rules")

        def wrapped(*a: Any) -> Any:
            try:
                return orig(*a)
            except BinanceError as err:
                raise (change(err, a) or err) from None

        p.endpoint(rules=wrapped)

    return patch


def _when(
    code: int, new: Callable[[BinanceError], BinanceError]
) -> Callable[[BinanceError, Any], BinanceError | None]:
    return lambda err, _a: new(err) if err.code == code else None


def _const(target: Any, name: str, value: Any) -> Patch:
    return lambda p: p.setattr(target, name, value)


def _default_window_ignored(p: Patcher) -> None:
    orig = _current(p, "rules")

    def rules(values: Any, ctx: Any) -> Any:
        request = orig(values, ctx)
        if values["startTime"] is None and values["endTime"] is None:
            return request._replace(query=request.query._replace(start_ms=0))
        return request

    p.endpoint(rules=rules)


def _size(**changes: Any) -> Patch:
    """Change the declared `size` parameter (its maximum, its default)."""

    def patch(p: Patcher) -> None:
        rules = tuple(dataclasses.replace(r, **changes) if r.name == "size" and isinstance(r, Long) else r
                      for r in _current(p, "params"))  # fmt: skip
        p.endpoint(params=rules)

    return patch


def _query(map_query: Callable[[Any], Any]) -> Patch:
    """Change the ledger query the endpoint's rules built (filters, bounds)."""

    def patch(p: Patcher) -> None:
        orig = _current(p, "rules")
        p.endpoint(rules=lambda values, ctx: (r := orig(values, ctx))._replace(query=map_query(r.query)))

    return patch


def _page(map_page: Callable[[Callable[[Any], dict[str, Any]], Any], dict[str, Any]]) -> Patch:
    """Change an answer: map_page(answer, query) -> body, where answer(q) is the true body for q."""

    def patch(p: Patcher) -> None:
        orig = _current(p, "answer")

        def wrapped(request: Any, ctx: Any) -> bytes:
            def answer(q: Any) -> dict[str, Any]:
                return json.loads(orig(request._replace(query=q), ctx))

            return json.dumps(map_page(answer, request.query)).encode()

        p.endpoint(answer=wrapped)

    return patch


def _body(map_body: Callable[[dict[str, Any]], dict[str, Any]]) -> Patch:
    def patch(p: Patcher) -> None:
        orig = _current(p, "answer")
        p.endpoint(answer=lambda request, ctx: json.dumps(map_body(json.loads(orig(request, ctx)))).encode())

    return patch


def _profile(**values: str) -> Patch:
    """The mock claims the default profile but shows an alternative (profile discovery must say so)."""

    def patch(p: Patcher) -> None:
        shown = p.mock.exchange.pipeline
        p.setattr(shown, "profile", dataclasses.replace(shown.profile, **values))

    return patch


def _rows(
    fn: Callable[[list[dict[str, Any]]], list[dict[str, Any]]],
) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def body(b: dict[str, Any]) -> dict[str, Any]:
        if "rows" in b:
            b["rows"] = fn(b["rows"])
        return b

    return body


def _ties_ascending(answer: Any, q: Any) -> dict[str, Any]:
    body = answer(q)
    body["rows"] = sorted(body.get("rows", []), key=lambda r: (-r["timestamp"], r["txId"]))
    return body


def _ascending(answer: Any, q: Any) -> dict[str, Any]:
    body = answer(q)
    body["rows"] = body.get("rows", [])[::-1]
    return body


def _total_is_page_length(answer: Any, q: Any) -> dict[str, Any]:
    body = answer(q)
    body["total"] = len(body.get("rows", []))
    return body


def _previous(answer: Any, q: Any) -> list[dict[str, Any]]:
    return answer(q._replace(current=q.current - 1)).get("rows", []) if q.current > 1 else []


def _overlap(answer: Any, q: Any) -> dict[str, Any]:
    body, prev = answer(q), _previous(answer, q)
    if prev and body.get("rows"):
        body["rows"] = (prev[-1:] + body["rows"])[: q.size]
    return body


def _skip_row(answer: Any, q: Any) -> dict[str, Any]:
    body = answer(q)
    if q.current > 1:
        body["rows"] = body.get("rows", [])[1:]
    return body


def _last_padded(answer: Any, q: Any) -> dict[str, Any]:
    body = answer(q)
    rows = body.get("rows", [])
    if q.current > 1 and 0 < len(rows) < q.size:
        body["rows"] = _previous(answer, q)[len(rows) - q.size :] + rows
    return body


def _past_end_repeats(answer: Any, q: Any) -> dict[str, Any]:
    body = answer(q)
    if body.get("rows") or q.current == 1 or not body.get("total"):
        return body
    return answer(q._replace(current=-(-body["total"] // q.size)))


# --- security mutants ---


def _verify_refuses_upper(p: Patcher) -> None:
    orig = accounts.Account.verify
    p.setattr(
        accounts.Account, "verify", lambda self, payload, sig: sig == sig.lower() and orig(self, payload, sig)
    )


def _signature_before_timestamp(p: Patcher) -> None:
    """The timestamp step deferred until after the signature step."""
    deferred: list[tuple[Any, ...]] = []
    check_timestamp, check_signature = security.check_timestamp, security.check_signature

    def timestamp(*a: Any) -> int:
        deferred.append(a)
        return int(a[0])

    def signature(*a: Any) -> None:
        try:
            check_signature(*a)
        finally:
            later = deferred.pop() if deferred else None
        if later is not None:
            check_timestamp(*later)

    p.setattr(security, "check_timestamp", timestamp)
    p.setattr(security, "check_signature", signature)


def _timestamp_before_recv_window(p: Patcher) -> None:
    def change(err: BinanceError, a: tuple[Any, ...]) -> BinanceError | None:
        if err.code != errors.BAD_RECV_WINDOW.code:
            return None
        ts = int(a[0].get("timestamp") or 0)
        return BinanceError(errors.TIMESTAMP_OUTSIDE_WINDOW) if p.mock.now_ms() - ts > 5_000 else None

    _step_error("recv_window", change)(p)


def _msg(err: BinanceError, msg: str) -> BinanceError:
    return BinanceError(err.spec, status=err.status, msg=msg)


def _status(err: BinanceError, status: int) -> BinanceError:
    return BinanceError(err.spec, status=status, msg=err.msg)


# --- fault mutants ---


def _fault_error(change: Callable[[Any, BinanceError], BinanceError]) -> Patch:
    def patch(p: Patcher) -> None:
        orig = faults.FaultRule.error
        p.setattr(faults.FaultRule, "error", lambda self, *fill: change(self, orig(self, *fill)))

    return patch


def _ignore_http_status(rule: Any, err: BinanceError) -> BinanceError:
    return BinanceError(err.spec, msg=err.msg) if rule.http_status else err


def _default_status_400(rule: Any, err: BinanceError) -> BinanceError:
    return _status(err, 400) if rule.http_status is None else err


def _ignore_args(rule: Any, err: BinanceError) -> BinanceError:
    return _msg(err, err.spec.template) if rule.args else err


def _sapi_200_text_plain(p: Patcher) -> None:
    # Only the 200s: the checks that read an error answer check its Content-Type too, so
    # declaring the whole endpoint text/plain would fail 34 checks, not the one that names it.
    handle = p.mock.exchange.handle

    def wrapped(call: Call) -> Reply:
        reply = handle(call)
        if reply.status == 200 and call.path.startswith("/sapi/"):
            return reply._replace(content_type="text/plain")
        return reply

    p.setattr(p.mock.exchange, "handle", wrapped)


def _weight_header(change: Callable[[dict[str, str]], dict[str, str]]) -> Patch:
    def patch(p: Patcher) -> None:
        orig = pipeline.Pipeline._weigh

        def wrapped(self: Any, endpoint: Any, call: Any, now: int, headers: dict[str, str]) -> None:
            try:
                orig(self, endpoint, call, now, headers)
            finally:
                changed = change(dict(headers))
                headers.clear()
                headers.update(changed)

        p.setattr(pipeline.Pipeline, "_weigh", wrapped)

    return patch


def _amount_4dp(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**r, "amount": r["amount"][:-4]} for r in rows]


def _txid_string(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**r, "txId": str(r["txId"])} for r in rows]


# Checks that compare whole rows with the seeded data set: a row that changes shape or order
# fails each of them as well as the check that names the rule.
ROW_COMPARERS = ("data.exact", "filter.asset", "filter.combined", "filter.isolated_symbol", "filter.type",
                 "window.default_7d")  # fmt: skip
# Checks that read the 30-day listing at size 100 (Context.listing, the suite's yardstick): a
# mock that refuses size 100 or a 30-day window fails each of them, as Binance would.
YARDSTICK = ("data.exact", "filter.asset", "filter.isolated_symbol", "filter.type", "page.disjoint",
             "page.last_short", "page.past_end", "page.total_constant", "page.union", "param.empty_optional",
             "param.size_default", "param.size_max", "param.unknown", "shape.amount_8dp", "shape.body",
             "shape.row_fields", "shape.timestamp_unit", "sort.descending", "window.default_not_wider",
             "window.rows_within")  # fmt: skip
# A signature that is not checked, or refused with another status: every check that sends a
# wrong one to see what comes first or what an error answer carries.
BAD_SIGNATURE = ("fault.after_checks", "hdr.weight_on_error", "precedence.signature_before_params",
                 "sig.tampered_payload", "sig.wrong_key")  # fmt: skip


def _also(*groups: Iterable[str]) -> frozenset[str]:
    return frozenset(c for g in groups for c in g)


MUTANTS: tuple[Mutant, ...] = (
    # order, totals, pagination
    Mutant("sort_ascending", "rows oldest first", "sort.descending", _page(_ascending),
           also=_also(ROW_COMPARERS, ["page.union", "sort.ties", "window.inclusive_bounds"])),
    Mutant("ties_ascending", "equal timestamps by txId ascending", "sort.ties", _page(_ties_ascending),
           also=_also(["data.exact", "window.default_7d"])),  # the seeded ties fall in the default window
    Mutant("total_is_page_length", "total = rows on this page", "page.total_constant", _page(_total_is_page_length),
           also=_also(["page.past_end"])),  # a page past the end must still say the total
    Mutant("pages_overlap", "page n repeats the last row of page n-1", "page.disjoint", _page(_overlap),
           also=_also(["page.last_short", "page.union"])),  # the repeated row pushes one out of each page
    Mutant("page_drops_row", "pages after the first lose their first row", "page.union", _page(_skip_row),
           also=_also(["page.last_short"])),
    Mutant("last_page_padded", "the last page is padded to a full page", "page.last_short", _page(_last_padded),
           also=_also(["page.disjoint", "page.union"])),  # the padding repeats rows of the page before
    Mutant("past_end_repeats_last", "a page past the end repeats the last page", "page.past_end",
           _page(_past_end_repeats)),
    # filters
    Mutant("asset_filter_ignored", "asset is not applied", "filter.asset",
           _query(lambda q: q._replace(asset=None)),
           also=_also(["sort.ties"])),  # it finds the four tied rows through asset=TIE
    Mutant("type_filter_ignored", "type is not applied", "filter.type",
           _query(lambda q: q._replace(type=None)), also=_also(["filter.combined"])),
    Mutant("type_filter_inverted", "type=ROLL_OUT answers ROLL_IN", "filter.type",
           _query(lambda q: q._replace(type={"ROLL_IN": "ROLL_OUT", "ROLL_OUT": "ROLL_IN"}.get(q.type))),
           also=_also(["filter.combined"])),
    Mutant("symbol_filter_ignored", "isolatedSymbol is not applied", "filter.isolated_symbol",
           _query(lambda q: q._replace(symbol=None))),
    # the window: the seeded data has rows on the bounds of the default window too
    Mutant("end_exclusive", "endTime is exclusive", "window.inclusive_bounds",
           _query(lambda q: q._replace(end_ms=q.end_ms - 1)), also=_also(["data.exact", "window.default_7d"])),
    Mutant("start_exclusive", "startTime is exclusive", "window.inclusive_bounds",
           _query(lambda q: q._replace(start_ms=q.start_ms + 1)), also=_also(["window.default_7d"])),
    Mutant("default_window_6d", "the default window is 6 days", "window.default_7d",
           _const(margin_transfer, "DEFAULT_WINDOW_MS", 6 * DAY_MS)),
    Mutant("default_window_ignored", "no startTime/endTime: every row, no window", "window.default_not_wider",
           _default_window_ignored, also=_also(["window.default_7d"])),
    Mutant("max_window_31d", "31-day windows accepted", "window.over_max",
           _const(margin_transfer, "MAX_WINDOW_MS", 31 * DAY_MS)),
    # Refusing a 30-day window refuses the yardstick and the 30-day window at other sizes; the
    # -1127 message then counts 696 hours.
    Mutant("max_window_29d", "a 30-day window refused", "window.max_accepted",
           _const(margin_transfer, "MAX_WINDOW_MS", 29 * DAY_MS),
           also=_also(YARDSTICK, ["filter.combined", "sort.ties", "window.over_max"])),
    Mutant("window_error_hours", "-1127 says 744 hours", "window.over_max",
           _rules_error(_when(-1127, lambda e: _msg(e, errors.MORE_THAN_HOURS.format(744))))),
    Mutant("bad_date_status_500", "-3011 answered with HTTP 500", "window.start_after_end",
           _rules_error(_when(-3011, lambda e: _status(e, 500))), serves_5xx=True),
    # the security layer
    Mutant("hmac_uppercase_refused", "upper-case hex refused", "sig.hmac_uppercase", _verify_refuses_upper),
    Mutant("signature_unchecked", "any signature accepted", "sig.tampered_payload",
           lambda p: p.setattr(accounts.Account, "verify", lambda self, payload, sig: True),
           also=_also(BAD_SIGNATURE) - {"sig.tampered_payload"}),
    Mutant("invalid_signature_401", "-1022 answered with HTTP 401", "sig.wrong_key",
           _step_error("check_signature", _when(-1022, lambda e: _status(e, 401))),
           also=_also(BAD_SIGNATURE) - {"sig.wrong_key"}),
    Mutant("missing_signature_is_1022", "a missing signature is -1022", "sig.missing",
           _step_error("require_signed", lambda e, a: BinanceError(errors.INVALID_SIGNATURE)
                       if e.code == -1102 and "signature" in e.msg else None)),
    Mutant("missing_key_is_2015", "no API key answered -2015", "key.missing",
           _step_error("check_key", lambda e, a: BinanceError(errors.REJECTED_MBX_KEY) if a[0] is None else None)),
    Mutant("key_format_lax", "any API key is well-formed", "key.malformed",
           _const(security, "API_KEY_FORMAT", re.compile(r".{1,128}"))),
    Mutant("unknown_key_status_400", "-2015 answered with HTTP 400", "key.unknown",
           _step_error("check_key", _when(-2015, lambda e: _status(e, 400))),
           also=_also(["precedence.key_first"])),  # it expects the -2015 answer whole
    Mutant("signature_before_timestamp", "the signature checked before the timestamp",
           "precedence.timestamp_before_signature", _signature_before_timestamp),
    Mutant("timestamp_before_recv_window", "the timestamp checked before recvWindow",
           "precedence.recv_window_before_timestamp", _timestamp_before_recv_window),
    # timestamp and recvWindow
    Mutant("future_tolerance_2000", "2000 ms ahead tolerated", "ts.boundary_ahead",
           _const(security, "FUTURE_TOLERANCE_MS", 2_000)),
    Mutant("recv_window_exclusive", "a timestamp exactly recvWindow old refused", "ts.boundary_window",
           _const(security, "DEFAULT_RECV_WINDOW_MS", 4_999)),
    # The precedence check sends recvWindow=60001 and expects the -1131 answer whole.
    Mutant("max_recv_window_100000", "recvWindow up to 100000 accepted", "rw.over_max",
           _const(security, "MAX_RECV_WINDOW_MS", 100_000), also=_also(["precedence.recv_window_before_timestamp"])),
    Mutant("recv_window_message", "-1131 with the /api wording", "rw.over_max",
           _step_error("recv_window", _when(-1131, lambda e: _msg(e, "'recvWindow' must be less than 60000."))),
           also=_also(["precedence.recv_window_before_timestamp"])),
    # Every check that sends a timestamp ahead of the server reads the -1021 message.
    Mutant("ahead_message_swapped", "a future timestamp gets the recvWindow message", "ts.ahead",
           _step_error("check_timestamp", _when(-1021, lambda e: BinanceError(errors.TIMESTAMP_OUTSIDE_WINDOW))),
           also=_also(["ts.boundary_ahead", "ts.microseconds"])),
    # Every check that leaves out or garbles a mandatory parameter reads the -1102 message.
    Mutant("mandatory_message_generic", "-1102 without the parameter's name", "ts.missing",
           _step_error("require_signed", _when(-1102, lambda e: _msg(e, "A mandatory parameter was not sent, was empty/null, "
                                                      "or malformed."))),
           also=_also(["sig.missing", "ts.malformed"])),
    # parameters
    Mutant("duplicates_allowed", "a parameter sent twice accepted", "param.duplicate",
           lambda p: p.setattr(Params, "first_duplicate", lambda self: None)),
    # Refusing size 100 refuses the yardstick and the checks that ask size 100 on another window.
    Mutant("max_size_50", "size capped at 50", "param.size_max", _size(maximum=50),
           also=_also(YARDSTICK, ["window.default_7d", "window.only_start"]) - {"param.size_max"}),
    Mutant("default_size_20", "default size 20", "param.size_default", _size(default=20)),
    Mutant("long_range_message", "-1100 with another legal range", "param.long_malformed",
           _on_error(pipeline, "read_params", _when(-1100, lambda e: _msg(e, e.msg.replace("{1,20}", "{1,19}")))),
           also=_also(["param.long_overflow"])),  # an overflowing long gets the same -1100
    # shape and headers
    Mutant("amount_4dp", "amount with 4 decimals", "shape.amount_8dp", _body(_rows(_amount_4dp)),
           also=_also(ROW_COMPARERS)),
    Mutant("txid_string", "txId as a string", "shape.row_fields", _body(_rows(_txid_string)),
           also=_also(ROW_COMPARERS, ["window.inclusive_bounds"])),  # it compares txIds
    Mutant("extra_body_key", "the body gains a 'success' key", "shape.body",
           _body(lambda b: {**b, "success": True}), also=_also(["shape.empty_result"])),
    Mutant("content_type_text", "a 200 of /sapi answers text/plain", "hdr.content_type", _sapi_200_text_plain),
    Mutant("weight_header_missing", "no X-SAPI-USED-IP-WEIGHT-1M", "hdr.weight", _weight_header(lambda h: {}),
           also=_also(["fault.oneshot", "hdr.weight_counts", "hdr.weight_on_error"])),
    Mutant("weight_not_counted", "the weight header stays at 1", "hdr.weight_counts",
           _weight_header(lambda h: {k: "1" for k in h})),
    # injected faults
    Mutant("fault_http_status_ignored", "a rule's http_status ignored", "fault.http_status",
           _fault_error(_ignore_http_status)),
    Mutant("fault_default_status_400", "injected -1000/-1001 answered 400", "fault.default_status",
           _fault_error(_default_status_400)),
    Mutant("fault_args_ignored", "-3065 keeps its %s", "fault.args", _fault_error(_ignore_args)),
    Mutant("pacing_off", "no -21003 under pacing", "fault.pacing",
           lambda p: p.setattr(pacing.Pacer, "check", lambda self, key, now: None)),
    # the target shows an alternative of §11 (docs/fidelity.md) while the default is expected
    Mutant("shows_seconds", "rows[].timestamp in seconds (F1)", "shape.timestamp_unit",
           _profile(row_timestamp_unit="s"), also=_also(ROW_COMPARERS)),
    Mutant("shows_rows_absent", "empty result without rows (F2)", "shape.empty_result", _profile(empty_rows="absent")),
    Mutant("shows_size_clamp", "size=101 clamped (F3)", "param.size_over_max", _profile(size_over_max="clamp")),
    Mutant("shows_below_min_default", "size=0 as default (F4)", "param.below_min", _profile(below_min="default")),
    Mutant("shows_missing_end_plus_7d", "endTime = startTime + 7d (F6)", "window.only_start",
           _profile(missing_end="start_plus_7d")),
    Mutant("shows_window_3011", "a long window is -3011 (F7)", "window.over_max", _profile(window_too_long="-3011")),
    Mutant("shows_start_after_end_empty", "startTime > endTime empty (F8)", "window.start_after_end",
           _profile(start_after_end="empty")),
    Mutant("shows_bad_type_1100", "bad type is -1100 (F9)", "param.bad_type", _profile(bad_type="-1100")),
    Mutant("shows_unknown_param_error", "unknown parameter is -1104 (F12)", "param.unknown",
           _profile(unknown_param="error")),
    Mutant("shows_symbol_error", "unused isolatedSymbol is -11001 (F13)", "filter.unknown_isolated_symbol",
           _profile(unknown_isolated_symbol="error")),
    Mutant("shows_signature_last", "signature must be last (F14)", "sig.position", _profile(signature_position="last")),
    Mutant("shows_bad_enum_1100", "a spec-tier enum miss is -1100 (F38)", "param.spec_enum",
           _profile(bad_enum="-1100")),
    Mutant("shows_microseconds", "µs timestamps accepted (F20)", "ts.microseconds",
           _profile(microsecond_timestamp="accept")),
)  # fmt: skip


@contextmanager
def applied(mutant: Mutant, mock: MockBinance) -> Iterator[None]:
    """The mutant's patches for the duration of the block (works outside pytest too)."""
    p = Patcher(mock)
    try:
        mutant.patch(p)
        yield
    finally:
        p.undo()


@dataclass
class Witness:
    """How the mock served while watched: its crashes, and the 5xx it answered of its own
    accord (an injected fault's 5xx is the check asking for one)."""

    crashes: list[str] = field(default_factory=list)
    server_errors: list[str] = field(default_factory=list)


class _Recorder(logging.Handler):
    def __init__(self, into: list[str]) -> None:
        super().__init__(logging.ERROR)
        self.into = into

    def emit(self, record: logging.LogRecord) -> None:
        self.into.append(record.getMessage())


# The mock logs an exception in a request ("binance_mock") or in the server ("uvicorn.error").
SERVER_LOGGERS = ("binance_mock", "uvicorn.error")


@contextmanager
def watched(mock: MockBinance) -> Iterator[Witness]:
    """Every call the mock's exchange handles in the block, seen from the inside: the contract
    run resets the journal when it ends, and a crash must not pass for a broken rule."""
    witness = Witness()
    exchange = mock.exchange
    handle = exchange.handle

    def watching(call: Call) -> Reply:
        try:
            reply = handle(call)
        except Exception as exc:
            witness.crashes.append(f"{call.method} {call.path}: {type(exc).__name__}: {exc}")
            raise
        if reply.status >= 500 and reply.check != "fault":
            witness.server_errors.append(f"{call.method} {call.path}: {reply.status} from {reply.check}")
        return reply

    recorder = _Recorder(witness.crashes)
    loggers = [logging.getLogger(name) for name in SERVER_LOGGERS]
    for logger in loggers:
        logger.addHandler(recorder)
    exchange.handle = watching  # type: ignore[method-assign]
    try:
        yield witness
    finally:
        del exchange.handle
        for logger in loggers:
            logger.removeHandler(recorder)


@dataclass
class Verdict:
    mutant: Mutant
    failed: frozenset[str]
    errors: list[str]  # checks that could not run, with why
    witness: Witness

    @property
    def problems(self) -> list[str]:
        """Why the mutant is not killed for its reason; empty when it is."""
        m, out = self.mutant, []
        if not self.failed:
            out.append("survived: no check failed")
        if missed := sorted(m.kills - self.failed):
            out.append(f"did not fail {', '.join(missed)}")
        if extra := sorted(self.failed - m.kills):
            out.append(f"also failed {', '.join(extra)}")
        out += [f"check error: {e}" for e in self.errors]
        out += [f"mock crashed: {c}" for c in self.witness.crashes]
        if not m.serves_5xx:
            out += [f"mock answered {e}" for e in self.witness.server_errors[:3]]
        return out


def _run(mock: MockBinance, select: Iterable[str] = ()) -> Report:
    creds = Credentials(mock.api_key, "hmac", secret=mock.secret)
    return run(Config(mock.base_url, creds, select=list(select)))


def judge(mutant: Mutant, mock: MockBinance) -> tuple[Verdict, Report]:
    """The whole suite against the mutated mock."""
    with watched(mock) as witness, applied(mutant, mock):
        report = _run(mock)
    failed = frozenset(r.check.id for r in report.results if r.status == FAILED)
    errors_ = [
        f"{r.check.id}: {r.status} {r.message}" for r in report.results if r.status in (ERROR, NOT_RUN)
    ]
    return Verdict(mutant, failed, errors_, witness), report


@pytest.fixture(scope="module")
def mock() -> Iterator[MockBinance]:
    with MockBinance(rows=300) as m:
        yield m


def test_unbroken_mock_passes_the_suite_without_a_5xx(mock: MockBinance) -> None:
    with watched(mock) as witness:
        report = _run(mock)
    assert report.exit_code == 0, summary(report)
    assert witness.crashes == [] and witness.server_errors == []


def test_the_watch_sees_a_crash_of_the_mock(mock: MockBinance) -> None:
    """A mutant that crashes the mock is not killed, whatever checks it fails."""
    crashing = Mutant("crashes", "the listing raises", "filter.asset", _query(lambda q: q.no_such_field))
    verdict, _ = judge(crashing, mock)
    assert "filter.asset" in verdict.failed
    crashes = verdict.witness.crashes
    assert (
        any("AttributeError" in c for c in crashes)
        and "internal error on GET /sapi/v1/margin/transfer" in crashes
    )
    assert any(p.startswith("mock crashed") for p in verdict.problems)


def test_the_watch_sees_a_5xx_the_mutant_did_not_declare(mock: MockBinance) -> None:
    (declared,) = [m for m in MUTANTS if m.name == "bad_date_status_500"]
    undeclared = dataclasses.replace(declared, serves_5xx=False)
    verdict, _ = judge(undeclared, mock)
    assert verdict.witness.crashes == []
    assert "mock answered GET /sapi/v1/margin/transfer: 500 from rules" in verdict.problems


def test_at_least_twenty_mutants_each_breaking_one_named_rule() -> None:
    assert len(MUTANTS) >= 20
    assert len({m.name for m in MUTANTS}) == len(MUTANTS)
    known = {c.id for c in all_checks()}
    for m in MUTANTS:
        assert m.kills <= known, (m.name, sorted(m.kills - known))
        assert m.check not in m.also, m.name


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.name for m in MUTANTS])
def test_mutant_is_killed_by_its_checks_alone(mock: MockBinance, mutant: Mutant) -> None:
    verdict, report = judge(mutant, mock)
    assert verdict.problems == [], f"{mutant.name} ({mutant.breaks}): {verdict.problems}"
    if mutant.name.startswith("shows_"):
        # Profile discovery: the failure names the alternative the target showed.
        (result,) = [r for r in report.results if r.check.id == mutant.check]
        assert "Matching profile: --fidelity" in result.message, result.message


def test_docs_state_the_mutants_and_what_kills_each() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert f"**{len(MUTANTS)} mutants" in text
    documented = {}
    for line in text.splitlines():
        if cells := re.fullmatch(r"\| `(\w+)` \| (.*) \| `([\w.]+)` \| (.*) \|", line):
            documented[cells[1]] = (cells[3], frozenset(re.findall(r"`([\w.]+)`", cells[4])))
    assert documented == {m.name: (m.check, m.also) for m in MUTANTS}


def test_a_default_window_that_is_ignored_fails_on_live_too(mock: MockBinance) -> None:
    (mutant,) = [m for m in MUTANTS if m.name == "default_window_ignored"]
    creds = Credentials(mock.api_key, "hmac", secret=mock.secret)
    with applied(mutant, mock):
        report = run(Config(mock.base_url, creds, live=True, select=[mutant.check]))
    assert report.mode.startswith("live") and [r.status for r in report.results] == [FAILED]


DOC = Path(__file__).resolve().parents[1] / "docs" / "contracts.md"


def doc_table() -> str:
    """The table of docs/contracts.md, from MUTANTS."""
    rows = ["| mutant | breaks | killed by | and also by |", "|---|---|---|---|"]
    rows += [f"| `{m.name}` | {m.breaks} | `{m.check}` | {', '.join(f'`{c}`' for c in sorted(m.also)) or '-'} |"
             for m in MUTANTS]  # fmt: skip
    return "\n".join(rows)


def main() -> int:
    """Every mutant against the whole suite: the verdicts of docs/contracts.md; 1 unless each
    mutant is killed by its checks alone and the mock served it without a crash."""
    ok = 0
    with MockBinance(rows=300) as mock:
        with watched(mock) as witness:
            baseline = _run(mock)
        if baseline.exit_code != 0 or witness.crashes or witness.server_errors:
            print("the unbroken mock fails the suite or answers a 5xx; no verdicts")
            print(summary(baseline))
            return 1
        for m in MUTANTS:
            verdict, _ = judge(m, mock)
            ok += not verdict.problems
            print(f"{'KILLED' if not verdict.problems else 'WRONG':6} {m.name:30} by {m.check}"
                  f"{' +' + str(len(m.also)) if m.also else ''}: {'; '.join(verdict.problems) or 'as named'}")  # fmt: skip
    print(f"killed by their checks alone: {ok}/{len(MUTANTS)}")
    if "--table" in sys.argv:
        print(doc_table())
    return 0 if ok == len(MUTANTS) else 1


if __name__ == "__main__":
    sys.exit(main())

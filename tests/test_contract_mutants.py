"""The contract suite against deliberately broken variants of the mock, one rule each.

Each mutant patches the running mock in-process (the `MockBinance` thread shares this
process) at a stable seam: a step function of `rules/security.py`, the endpoint's declaration
(its `rules`, `answer` or parameters, swapped in the mock's registry), `Ledger.query`, a
fidelity constant, the pipeline's profile or weight counting, the fault rule. It never edits
the error catalog: the catalog is the shared *fact*, so changing it would change the expected
answer too. Each test asserts that its mutant fails the named check.
`python tests/test_contract_mutants.py` runs every mutant against the full suite and prints the
kill ratio (docs/contracts.md's number); the tests below run only the named check, to stay fast.
"""

from __future__ import annotations

import dataclasses
import json
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest

from contracts.checks import all_checks
from contracts.runner import FAILED, Config, run, summary
from contracts.target import Credentials
from mock_server import MockBinance
from mock_server.endpoints import declaration, margin_transfer
from mock_server.exchange import pipeline
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
    check: str  # the check id that must fail
    patch: Patch


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
    return answer(dataclasses.replace(q, current=q.current - 1)).get("rows", []) if q.current > 1 else []


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
    return answer(dataclasses.replace(q, current=-(-body["total"] // q.size)))


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


def _sapi_text_plain(p: Patcher) -> None:
    # An endpoint derives its content type when declared: declare the margin endpoint again.
    p.setattr(declaration, "SAPI_JSON", "text/plain")
    p.endpoint()


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


MUTANTS: tuple[Mutant, ...] = (
    # order, totals, pagination
    Mutant("sort_ascending", "rows oldest first", "sort.descending", _page(_ascending)),
    Mutant("ties_ascending", "equal timestamps by txId ascending", "sort.ties", _page(_ties_ascending)),
    Mutant("total_is_page_length", "total = rows on this page", "page.total_constant", _page(_total_is_page_length)),
    Mutant("pages_overlap", "page n repeats the last row of page n-1", "page.disjoint", _page(_overlap)),
    Mutant("page_drops_row", "pages after the first lose their first row", "page.union", _page(_skip_row)),
    Mutant("last_page_padded", "the last page is padded to a full page", "page.last_short", _page(_last_padded)),
    Mutant("past_end_repeats_last", "a page past the end repeats the last page", "page.past_end",
           _page(_past_end_repeats)),
    # filters
    Mutant("asset_filter_ignored", "asset is not applied", "filter.asset",
           _query(lambda q: dataclasses.replace(q, asset=None))),
    Mutant("type_filter_ignored", "type is not applied", "filter.type",
           _query(lambda q: dataclasses.replace(q, type=None))),
    Mutant("type_filter_inverted", "type=ROLL_OUT answers ROLL_IN", "filter.type",
           _query(lambda q: dataclasses.replace(q, type={"ROLL_IN": "ROLL_OUT", "ROLL_OUT": "ROLL_IN"}.get(q.type)))),
    Mutant("symbol_filter_ignored", "isolatedSymbol is not applied", "filter.isolated_symbol",
           _query(lambda q: dataclasses.replace(q, symbol=None))),
    # the window
    Mutant("end_exclusive", "endTime is exclusive", "window.inclusive_bounds",
           _query(lambda q: dataclasses.replace(q, end_ms=q.end_ms - 1))),
    Mutant("start_exclusive", "startTime is exclusive", "window.inclusive_bounds",
           _query(lambda q: dataclasses.replace(q, start_ms=q.start_ms + 1))),
    Mutant("default_window_6d", "the default window is 6 days", "window.default_7d",
           _const(margin_transfer, "DEFAULT_WINDOW_MS", 6 * DAY_MS)),
    Mutant("default_window_ignored", "no startTime/endTime: every row, no window", "window.default_not_wider",
           _default_window_ignored),
    Mutant("max_window_31d", "31-day windows accepted", "window.over_max",
           _const(margin_transfer, "MAX_WINDOW_MS", 31 * DAY_MS)),
    Mutant("max_window_29d", "a 30-day window refused", "window.max_accepted",
           _const(margin_transfer, "MAX_WINDOW_MS", 29 * DAY_MS)),
    Mutant("window_error_hours", "-1127 says 744 hours", "window.over_max",
           _rules_error(_when(-1127, lambda e: _msg(e, errors.MORE_THAN_HOURS.format(744))))),
    Mutant("bad_date_status_500", "-3011 answered with HTTP 500", "window.start_after_end",
           _rules_error(_when(-3011, lambda e: _status(e, 500)))),
    # the security layer
    Mutant("hmac_uppercase_refused", "upper-case hex refused", "sig.hmac_uppercase", _verify_refuses_upper),
    Mutant("signature_unchecked", "any signature accepted", "sig.tampered_payload",
           lambda p: p.setattr(accounts.Account, "verify", lambda self, payload, sig: True)),
    Mutant("invalid_signature_401", "-1022 answered with HTTP 401", "sig.wrong_key",
           _step_error("check_signature", _when(-1022, lambda e: _status(e, 401)))),
    Mutant("missing_signature_is_1022", "a missing signature is -1022", "sig.missing",
           _step_error("require_signed", lambda e, a: BinanceError(errors.INVALID_SIGNATURE)
                       if e.code == -1102 and "signature" in e.msg else None)),
    Mutant("missing_key_is_2015", "no API key answered -2015", "key.missing",
           _step_error("check_key", lambda e, a: BinanceError(errors.REJECTED_MBX_KEY) if a[0] is None else None)),
    Mutant("key_format_lax", "any API key is well-formed", "key.malformed",
           _const(security, "API_KEY_FORMAT", re.compile(r".{1,128}"))),
    Mutant("unknown_key_status_400", "-2015 answered with HTTP 400", "key.unknown",
           _step_error("check_key", _when(-2015, lambda e: _status(e, 400)))),
    Mutant("signature_before_timestamp", "the signature checked before the timestamp",
           "precedence.timestamp_before_signature", _signature_before_timestamp),
    Mutant("timestamp_before_recv_window", "the timestamp checked before recvWindow",
           "precedence.recv_window_before_timestamp", _timestamp_before_recv_window),
    # timestamp and recvWindow
    Mutant("future_tolerance_2000", "2000 ms ahead tolerated", "ts.boundary_ahead",
           _const(security, "FUTURE_TOLERANCE_MS", 2_000)),
    Mutant("recv_window_exclusive", "a timestamp exactly recvWindow old refused", "ts.boundary_window",
           _const(security, "DEFAULT_RECV_WINDOW_MS", 4_999)),
    Mutant("max_recv_window_100000", "recvWindow up to 100000 accepted", "rw.over_max",
           _const(security, "MAX_RECV_WINDOW_MS", 100_000)),
    Mutant("recv_window_message", "-1131 with the /api wording", "rw.over_max",
           _step_error("recv_window", _when(-1131, lambda e: _msg(e, "'recvWindow' must be less than 60000.")))),
    Mutant("ahead_message_swapped", "a future timestamp gets the recvWindow message", "ts.ahead",
           _step_error("check_timestamp", _when(-1021, lambda e: BinanceError(errors.TIMESTAMP_OUTSIDE_WINDOW)))),
    Mutant("mandatory_message_generic", "-1102 without the parameter's name", "ts.missing",
           _step_error("require_signed", _when(-1102, lambda e: _msg(e, "A mandatory parameter was not sent, was empty/null, "
                                                      "or malformed.")))),
    # parameters
    Mutant("duplicates_allowed", "a parameter sent twice accepted", "param.duplicate",
           lambda p: p.setattr(Params, "first_duplicate", lambda self: None)),
    Mutant("max_size_50", "size capped at 50", "param.size_max", _size(maximum=50)),
    Mutant("default_size_20", "default size 20", "param.size_default", _size(default=20)),
    Mutant("long_range_message", "-1100 with another legal range", "param.long_malformed",
           _on_error(pipeline, "read_params", _when(-1100, lambda e: _msg(e, e.msg.replace("{1,20}", "{1,19}"))))),
    # shape and headers
    Mutant("amount_4dp", "amount with 4 decimals", "shape.amount_8dp", _body(_rows(_amount_4dp))),
    Mutant("txid_string", "txId as a string", "shape.row_fields", _body(_rows(_txid_string))),
    Mutant("extra_body_key", "the body gains a 'success' key", "shape.body",
           _body(lambda b: {**b, "success": True})),
    Mutant("content_type_text", "/sapi answers text/plain", "hdr.content_type", _sapi_text_plain),
    Mutant("weight_header_missing", "no X-SAPI-USED-IP-WEIGHT-1M", "hdr.weight", _weight_header(lambda h: {})),
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
           _profile(row_timestamp_unit="s")),
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


@pytest.fixture(scope="module")
def mock() -> Iterator[MockBinance]:
    with MockBinance(rows=300) as m:
        yield m


def _run(mock: MockBinance, select: list[str]) -> Any:
    creds = Credentials(mock.api_key, "hmac", secret=mock.secret)
    return run(Config(mock.base_url, creds, select=select))


def test_unbroken_mock_passes_every_named_check(mock: MockBinance) -> None:
    report = _run(mock, sorted({m.check for m in MUTANTS}))
    assert report.exit_code == 0, summary(report)


def test_at_least_twenty_mutants_each_breaking_one_named_rule() -> None:
    assert len(MUTANTS) >= 20
    assert len({m.name for m in MUTANTS}) == len(MUTANTS)
    known = {c.id for c in all_checks()}
    assert {m.check for m in MUTANTS} <= known


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.name for m in MUTANTS])
def test_mutant_is_caught_by_its_check(mock: MockBinance, mutant: Mutant) -> None:
    with applied(mutant, mock):
        report = _run(mock, [mutant.check])
    (result,) = report.results
    assert result.status == FAILED, (
        f"{mutant.name} ({mutant.breaks}) survived: {result.status} {result.message}"
    )
    # Killed for the right reason: the patch broke a rule, it did not crash the mock.
    assert "got HTTP 500" not in result.message or "500" in mutant.name, result.message
    if mutant.name.startswith("shows_"):
        # Profile discovery: the failure names the alternative the target showed.
        assert "Matching profile: --fidelity" in result.message, result.message


def test_a_default_window_that_is_ignored_fails_on_live_too(mock: MockBinance) -> None:
    (mutant,) = [m for m in MUTANTS if m.name == "default_window_ignored"]
    creds = Credentials(mock.api_key, "hmac", secret=mock.secret)
    with applied(mutant, mock):
        report = run(Config(mock.base_url, creds, live=True, select=[mutant.check]))
    assert report.mode.startswith("live") and [r.status for r in report.results] == [FAILED]


def main() -> int:
    """Every mutant against the whole suite (control mode): the kill ratio for docs/contracts.md."""
    killed = 0
    with MockBinance(rows=300) as mock:
        creds = Credentials(mock.api_key, "hmac", secret=mock.secret)
        baseline = run(Config(mock.base_url, creds))
        if baseline.exit_code != 0:
            print("the unbroken mock fails the suite; no kill ratio")
            return 1
        for m in MUTANTS:
            with applied(m, mock):
                report = run(Config(mock.base_url, creds))
            failed = sorted(r.check.id for r in report.results if r.status == FAILED)
            named = m.check in failed
            killed += bool(failed)
            print(f"{'KILLED' if failed else 'SURVIVED':8} {m.name:30} expected {m.check}: "
                  f"{'named' if named else 'NOT NAMED'}; failed {', '.join(failed) or '-'}")  # fmt: skip
    print(f"kill ratio: {killed}/{len(MUTANTS)}")
    return 0 if killed == len(MUTANTS) else 1


if __name__ == "__main__":
    sys.exit(main())

"""The contract suite against deliberately broken variants of the mock, one rule each.

Each mutant patches the running mock in-process (the `MockBinance` thread shares this
process) at a stable seam: the endpoint's `validate`/`respond`, the exchange's
`authenticate`, `Ledger.query`, a fidelity constant, the fault rule. It never edits the
error catalog: the catalog is the shared *fact*, so changing it would change the expected
answer too. Each test asserts that its mutant fails the named check.
`python tests/test_contract_mutants.py` runs every mutant against the full suite and prints the
kill ratio (the README's number); the tests below run only the named check, to stay fast.
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

from contracts.registry import all_checks
from contracts.runner import FAILED, Config, run, summary
from contracts.target import Credentials
from mock_server import errors, exchange, faults, security
from mock_server.endpoints import margin_transfer
from mock_server.errors import BinanceError
from mock_server.params import Params, parse_query, signed_payload
from mock_server.testing import MockBinance

DAY_MS = 86_400_000


class Patcher:
    """A tiny monkeypatch that undoes itself (usable outside pytest, for the CLI run)."""

    def __init__(self) -> None:
        self._undo: list[tuple[Any, str, Any]] = []

    def setattr(self, target: Any, name: str, value: Any) -> None:
        self._undo.append((target, name, getattr(target, name)))
        setattr(target, name, value)

    def undo(self) -> None:
        while self._undo:
            target, name, value = self._undo.pop()
            setattr(target, name, value)


Patch = Callable[[Patcher], None]


@dataclass(frozen=True)
class Mutant:
    name: str
    breaks: str  # the rule it breaks, in words
    check: str  # the check id that must fail
    patch: Patch


# --- seams ---


def _wrap(p: Patcher, target: Any, name: str, make: Callable[[Callable[..., Any]], Callable[..., Any]]) -> None:
    p.setattr(target, name, make(getattr(target, name)))


def _on_error(target: Any, name: str, change: Callable[[BinanceError, tuple[Any, ...]], BinanceError | None]) -> Patch:
    def patch(p: Patcher) -> None:
        def make(orig: Callable[..., Any]) -> Callable[..., Any]:
            def wrapped(*a: Any, **kw: Any) -> Any:
                try:
                    return orig(*a, **kw)
                except BinanceError as err:
                    raise (change(err, a) or err) from None

            return wrapped

        _wrap(p, target, name, make)

    return patch


def _auth_error(change: Callable[[BinanceError, tuple[Any, ...]], BinanceError | None]) -> Patch:
    return _on_error(exchange, "authenticate", change)


def _validate_error(change: Callable[[BinanceError, tuple[Any, ...]], BinanceError | None]) -> Patch:
    return _on_error(margin_transfer, "validate", change)


def _when(code: int, new: Callable[[BinanceError], BinanceError]) -> Callable[[BinanceError, Any], BinanceError | None]:
    return lambda err, _a: new(err) if err.code == code else None


def _const(target: Any, name: str, value: Any) -> Patch:
    return lambda p: p.setattr(target, name, value)


def _query(map_query: Callable[[Any], Any]) -> Patch:
    """Change the ledger query the endpoint built (filters, bounds)."""

    def make(orig: Callable[..., Any]) -> Callable[..., Any]:
        def wrapped(*a: Any, **kw: Any) -> Any:
            req = orig(*a, **kw)
            return dataclasses.replace(req, query=map_query(req.query))

        return wrapped

    return lambda p: _wrap(p, margin_transfer, "validate", make)


def _page(map_page: Callable[[Callable[[Any], dict[str, Any]], Any], dict[str, Any]]) -> Patch:
    """Change an answer: map_page(answer, query) -> body, where answer(q) is the true body for q."""

    def make(orig: Callable[..., Any]) -> Callable[..., Any]:
        def wrapped(request: Any, led: Any, api_key: str, profile: Any) -> bytes:
            def answer(q: Any) -> dict[str, Any]:
                return json.loads(orig(dataclasses.replace(request, query=q), led, api_key, profile))

            return json.dumps(map_page(answer, request.query)).encode()

        return wrapped

    return lambda p: _wrap(p, margin_transfer, "respond", make)


def _body(map_body: Callable[[dict[str, Any]], dict[str, Any]]) -> Patch:
    def make(orig: Callable[..., Any]) -> Callable[..., Any]:
        def wrapped(*a: Any, **kw: Any) -> bytes:
            return json.dumps(map_body(json.loads(orig(*a, **kw)))).encode()

        return wrapped

    return lambda p: _wrap(p, margin_transfer, "respond", make)


def _profile(**values: str) -> Patch:
    """The mock claims the default profile but shows an alternative (profile discovery must say so)."""

    def patch(p: Patcher) -> None:
        for target, name, pos in ((margin_transfer, "validate", 2), (margin_transfer, "respond", 3),
                                  (exchange, "authenticate", 5)):  # fmt: skip
            def make(orig: Callable[..., Any], pos: int = pos) -> Callable[..., Any]:
                def wrapped(*a: Any, **kw: Any) -> Any:
                    args = list(a)
                    args[pos] = dataclasses.replace(args[pos], **values)
                    return orig(*args, **kw)

                return wrapped

            _wrap(p, target, name, make)

    return patch


def _rows(fn: Callable[[list[dict[str, Any]]], list[dict[str, Any]]]) -> Callable[[dict[str, Any]], dict[str, Any]]:
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
    orig = security.Account.verify
    p.setattr(security.Account, "verify", lambda self, payload, sig: sig == sig.lower() and orig(self, payload, sig))


def _signature_before_timestamp(err: BinanceError, a: tuple[Any, ...]) -> BinanceError | None:
    if err.code != errors.TIMESTAMP_OUTSIDE_WINDOW.code:
        return None
    account = a[3].get(a[0])
    sig = parse_query(a[1]).get("signature") or ""
    if account is not None and not account.verify(signed_payload(a[1], a[2]), sig):
        return BinanceError(errors.INVALID_SIGNATURE)
    return None


def _timestamp_before_recv_window(err: BinanceError, a: tuple[Any, ...]) -> BinanceError | None:
    if err.code != errors.BAD_RECV_WINDOW.code:
        return None
    ts = int(parse_query(a[1]).get("timestamp") or 0)
    return BinanceError(errors.TIMESTAMP_OUTSIDE_WINDOW) if a[4] - ts > 5_000 else None


def _msg(err: BinanceError, msg: str) -> BinanceError:
    return BinanceError(err.spec, status=err.status, msg=msg)


def _status(err: BinanceError, status: int) -> BinanceError:
    return BinanceError(err.spec, status=status, msg=err.msg)


# --- fault mutants ---


def _fault_error(change: Callable[[Any, BinanceError], BinanceError]) -> Patch:
    def patch(p: Patcher) -> None:
        orig = faults.FaultRule.error
        p.setattr(faults.FaultRule, "error", lambda self: change(self, orig(self)))

    return patch


def _ignore_http_status(rule: Any, err: BinanceError) -> BinanceError:
    return BinanceError(err.spec, msg=err.msg) if rule.http_status else err


def _default_status_400(rule: Any, err: BinanceError) -> BinanceError:
    return _status(err, 400) if rule.http_status is None else err


def _ignore_args(rule: Any, err: BinanceError) -> BinanceError:
    return _msg(err, err.spec.template) if rule.args else err


def _weight_header(change: Callable[[dict[str, str]], dict[str, str]]) -> Patch:
    def make(orig: Callable[..., Any]) -> Callable[..., Any]:
        def wrapped(self: Any, call: Any, weight: int) -> Any:
            headers, over = orig(self, call, weight)
            return change(headers), over

        return wrapped

    return lambda p: _wrap(p, exchange.Exchange, "_weigh", make)


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
    Mutant("max_window_31d", "31-day windows accepted", "window.over_max",
           _const(margin_transfer, "MAX_WINDOW_MS", 31 * DAY_MS)),
    Mutant("max_window_29d", "a 30-day window refused", "window.max_accepted",
           _const(margin_transfer, "MAX_WINDOW_MS", 29 * DAY_MS)),
    Mutant("window_error_hours", "-1127 says 744 hours", "window.over_max",
           _validate_error(_when(-1127, lambda e: _msg(e, errors.MORE_THAN_HOURS.format(744))))),
    Mutant("bad_date_status_500", "-3011 answered with HTTP 500", "window.start_after_end",
           _validate_error(_when(-3011, lambda e: _status(e, 500)))),
    # the security layer
    Mutant("hmac_uppercase_refused", "upper-case hex refused", "sig.hmac_uppercase", _verify_refuses_upper),
    Mutant("signature_unchecked", "any signature accepted", "sig.tampered_payload",
           lambda p: p.setattr(security.Account, "verify", lambda self, payload, sig: True)),
    Mutant("invalid_signature_401", "-1022 answered with HTTP 401", "sig.wrong_key",
           _auth_error(_when(-1022, lambda e: _status(e, 401)))),
    Mutant("missing_signature_is_1022", "a missing signature is -1022", "sig.missing",
           _auth_error(lambda e, a: BinanceError(errors.INVALID_SIGNATURE)
                       if e.code == -1102 and "signature" in e.msg else None)),
    Mutant("missing_key_is_2015", "no API key answered -2015", "key.missing",
           _auth_error(lambda e, a: BinanceError(errors.REJECTED_MBX_KEY) if a[0] is None else None)),
    Mutant("key_format_lax", "any API key is well-formed", "key.malformed",
           _const(security, "_API_KEY_FORMAT", re.compile(r".{1,128}"))),
    Mutant("unknown_key_status_400", "-2015 answered with HTTP 400", "key.unknown",
           _auth_error(_when(-2015, lambda e: _status(e, 400)))),
    Mutant("signature_before_timestamp", "the signature checked before the timestamp",
           "precedence.timestamp_before_signature", _auth_error(_signature_before_timestamp)),
    Mutant("timestamp_before_recv_window", "the timestamp checked before recvWindow",
           "precedence.recv_window_before_timestamp", _auth_error(_timestamp_before_recv_window)),
    # timestamp and recvWindow
    Mutant("future_tolerance_2000", "2000 ms ahead tolerated", "ts.boundary_ahead",
           _const(security, "FUTURE_TOLERANCE_MS", 2_000)),
    Mutant("recv_window_exclusive", "a timestamp exactly recvWindow old refused", "ts.boundary_window",
           _const(security, "DEFAULT_RECV_WINDOW_MS", 4_999)),
    Mutant("max_recv_window_100000", "recvWindow up to 100000 accepted", "rw.over_max",
           _const(security, "MAX_RECV_WINDOW_MS", 100_000)),
    Mutant("recv_window_message", "-1131 with the /api wording", "rw.over_max",
           _auth_error(_when(-1131, lambda e: _msg(e, "'recvWindow' must be less than 60000.")))),
    Mutant("ahead_message_swapped", "a future timestamp gets the recvWindow message", "ts.ahead",
           _auth_error(_when(-1021, lambda e: BinanceError(errors.TIMESTAMP_OUTSIDE_WINDOW)))),
    Mutant("mandatory_message_generic", "-1102 without the parameter's name", "ts.missing",
           _auth_error(_when(-1102, lambda e: _msg(e, "A mandatory parameter was not sent, was empty/null, "
                                                      "or malformed.")))),
    # parameters
    Mutant("duplicates_allowed", "a parameter sent twice accepted", "param.duplicate",
           lambda p: p.setattr(Params, "first_duplicate", lambda self: None)),
    Mutant("max_size_50", "size capped at 50", "param.size_max", _const(margin_transfer, "MAX_SIZE", 50)),
    Mutant("default_size_20", "default size 20", "param.size_default", _const(margin_transfer, "DEFAULT_SIZE", 20)),
    Mutant("long_range_message", "-1100 with another legal range", "param.long_malformed",
           _validate_error(_when(-1100, lambda e: _msg(e, e.msg.replace("{1,20}", "{1,19}"))))),
    # shape and headers
    Mutant("amount_4dp", "amount with 4 decimals", "shape.amount_8dp", _body(_rows(_amount_4dp))),
    Mutant("txid_string", "txId as a string", "shape.row_fields", _body(_rows(_txid_string))),
    Mutant("extra_body_key", "the body gains a 'success' key", "shape.body",
           _body(lambda b: {**b, "success": True})),
    Mutant("content_type_text", "/sapi answers text/plain", "hdr.content_type",
           _const(exchange, "SAPI_JSON", "text/plain")),
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
           lambda p: p.setattr(faults.Pacer, "check", lambda self, key, now: None)),
    # the target shows an alternative of facts §11 while the default is expected
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
    Mutant("shows_microseconds", "µs timestamps accepted (F20)", "ts.microseconds",
           _profile(microsecond_timestamp="accept")),
)  # fmt: skip


@contextmanager
def applied(mutant: Mutant) -> Iterator[None]:
    """The mutant's patches for the duration of the block (works outside pytest too)."""
    p = Patcher()
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
    with applied(mutant):
        report = _run(mock, [mutant.check])
    (result,) = report.results
    assert result.status == FAILED, f"{mutant.name} ({mutant.breaks}) survived: {result.status} {result.message}"
    # Killed for the right reason: the patch broke a rule, it did not crash the mock.
    assert "got HTTP 500" not in result.message or "500" in mutant.name, result.message
    if mutant.name.startswith("shows_"):
        # Profile discovery: the failure names the alternative the target showed.
        assert "Matching profile: --fidelity" in result.message, result.message


def main() -> int:
    """Every mutant against the whole suite (control mode): the kill ratio for the README."""
    killed = 0
    with MockBinance(rows=300) as mock:
        creds = Credentials(mock.api_key, "hmac", secret=mock.secret)
        baseline = run(Config(mock.base_url, creds))
        if baseline.exit_code != 0:
            print("the unbroken mock fails the suite; no kill ratio")
            return 1
        for m in MUTANTS:
            with applied(m):
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

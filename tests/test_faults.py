"""Fault rules and pacing, on the domain alone."""

from __future__ import annotations

import threading

import pytest

from mock_server.injection.faults import FaultBook, parse_rule
from mock_server.rules import errors
from mock_server.state.pacing import Pacer


def test_error_rule_uses_catalog_message_and_status() -> None:
    book = FaultBook()
    book.add({"code": -3020})
    out = book.decide("/p", "k", {})
    assert out.error is not None
    assert (out.error.code, out.error.msg, out.error.status) == (
        -3020,
        "Transfer out amount exceeds max amount.",
        400,
    )
    assert book.decide("/p", "k", {}).error is None  # times defaults to 1


def test_args_fill_placeholders_f22() -> None:
    book = FaultBook()
    book.add({"code": -3065, "args": ["LUNA", "12.5", "LUNA"]})
    out = book.decide("/p", None, {})
    assert out.error is not None
    assert out.error.msg == (
        "LUNA has been scheduled for delisting. You may only transfer up to 12.5 LUNA, "
        "which is the amount of liabilities less any collateral already available."
    )


def test_explicit_msg_status_and_unknown_code() -> None:
    book = FaultBook()
    book.add({"code": -1000, "http_status": 502})
    book.add({"code": -99999, "msg": "made up"})
    first = book.decide("/p", None, {}).error
    second = book.decide("/p", None, {}).error
    assert first is not None and (first.status, first.msg) == (502, errors.UNKNOWN.template)
    assert second is not None and (second.code, second.msg, second.status) == (-99999, "made up", 400)


def test_ordered_semantics_fail_twice_then_succeed() -> None:
    book = FaultBook()
    book.add({"code": -21003, "times": 2})
    codes = [book.decide("/p", None, {}).error for _ in range(4)]
    assert [e.code if e else None for e in codes] == [-21003, -21003, None, None]
    (rule,) = book.rules()
    assert rule.fired == 2 and not rule.active


def test_match_on_path_key_and_params() -> None:
    book = FaultBook()
    book.add({"code": -3020, "times": None, "match": {"path": "/a", "apiKey": "K", "params": {"current": 2}}})
    assert book.decide("/a", "K", {"current": "1"}).error is None
    assert book.decide("/b", "K", {"current": "2"}).error is None
    assert book.decide("/a", "J", {"current": "2"}).error is None
    assert book.decide("/a", "K", {"current": "2"}).error is not None


def test_delay_rules_add_up_and_do_not_answer() -> None:
    book = FaultBook()
    book.add({"delay_ms": 100, "times": None})
    book.add({"delay_ms": [10, 20]})
    out = book.decide("/p", None, {})
    assert out.error is None and 110 <= out.delay_ms <= 120
    assert book.decide("/p", None, {}).delay_ms == 100


def test_probability_is_seeded_and_reproducible() -> None:
    def run() -> list[bool]:
        book = FaultBook(seed=3)
        book.add({"code": -1003, "times": None, "probability": 0.3})
        return [book.decide("/p", None, {}).error is not None for _ in range(200)]

    first = run()
    assert first == run()
    assert 30 < sum(first) < 90


def test_times_exact_under_64_threads() -> None:
    for _ in range(20):
        book = FaultBook()
        book.add({"code": -3020, "times": 17})
        fired: list[int] = []
        barrier = threading.Barrier(64)

        def call(book: FaultBook, barrier: threading.Barrier, fired: list[int]) -> None:
            barrier.wait()
            for _ in range(5):
                if book.decide("/p", None, {}).error is not None:
                    fired.append(1)

        threads = [threading.Thread(target=call, args=(book, barrier, fired)) for _ in range(64)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert len(fired) == 17


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({}, "a rule needs"),
        ({"code": 5}, "'code' must be between"),
        ({"code": -1, "times": 0}, "'times' must be between"),
        ({"code": -1, "probability": 2}, "'probability'"),
        ({"code": -1, "bogus": 1}, "unknown field"),
        ({"fault": "explode"}, "'fault' must be one of"),
        ({"fault": "reset", "code": -1}, "does not go with"),
        ({"delay_ms": [5, 1]}, "'delay_ms'"),
        ({"code": -1, "match": {"host": "x"}}, "'match'"),
        ({"code": -1, "args": [{}]}, "'args'"),
        ([], "JSON object"),
    ],
)
def test_bad_rules_are_refused_naming_the_field(rule: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_rule(rule, 1)


def test_pacer_f23() -> None:
    pacer = Pacer(500)
    assert pacer.check("k", 1000) is None
    err = pacer.check("k", 1499)
    assert err is not None and (err.code, err.msg) == (-21003, "Fail to retrieve margin assets.")
    # The refused call does not start a new interval: 500 ms after the accepted one passes.
    assert pacer.check("k", 1500) is None
    assert pacer.check("other", 1501) is None  # per account
    assert Pacer(0).check("k", 1) is None


def test_a_scenario_with_a_rule_for_an_unserved_path_or_an_unknown_account_is_refused() -> None:
    from mock_server.exchange import Exchange, Settings
    from mock_server.injection.scenario import parse_scenario

    bad_path = parse_scenario(
        {"faults": [{"code": -3020, "match": {"path": "/sapi/v1/margin/transfers"}}]}, "s.json"
    )
    with pytest.raises(
        ValueError, match=r"s\.json: faults\[0\]: 'match.path' '/sapi/v1/margin/transfers' is not served"
    ):
        Exchange(Settings(rows=1, scenario=bad_path))
    row = {
        "amount": "1.00000000",
        "asset": "BNB",
        "timestamp": 1_790_000_000_000,
        "txId": 1,
        "type": "ROLL_IN",
    }
    bad_key = parse_scenario({"transfers": [{"apiKey": "nosuchkey", "rows": [row]}]}, "s.json")
    with pytest.raises(
        ValueError,
        match=r"s\.json: transfers\[0\]: apiKey 'no\.\.\.' \(9 characters; the accounts' keys have 64\) is not an account",
    ):
        Exchange(Settings(rows=1, scenario=bad_key))

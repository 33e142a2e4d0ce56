"""Fault injection rules: what a user asks the mock to get wrong, on purpose.

A rule matches calls (path, API key, parameter values) and, each time it fires, does one of:
- answers a Binance error (`code`, with the catalog's message and status, or explicit ones),
- adds latency only (`delay_ms`, a number or a [low, high] range),
- drops the connection: `fault: "empty_reply"` (closed without a byte) or `"reset"` (TCP RST).
Rules are consulted in the order they were added; `times` counts firings exactly, even under
concurrent calls, so "fail the next two calls, then succeed" is one rule with `times: 2`.
"""

from __future__ import annotations

import copy
import difflib
import random
import threading
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

from mock_server.rules import errors
from mock_server.rules.errors import BinanceError, ErrorSpec

FaultKind = Literal["error", "delay", "empty_reply", "reset"]
# The values of a catalog message's placeholders at one call, for a rule that gives no args.
Filler = Callable[[ErrorSpec], tuple[str, ...]]
CONNECTION_FAULTS = ("empty_reply", "reset")
_RULE_FIELDS = frozenset(
    {
        "code",
        "msg",
        "args",
        "http_status",
        "times",
        "probability",
        "match",
        "delay_ms",
        "fault",
        "retry_after",
    }
)
_MATCH_FIELDS = frozenset({"path", "apiKey", "params"})


@dataclass
class FaultRule:
    id: int
    kind: FaultKind
    code: int | None = None
    msg: str | None = None
    args: tuple[str, ...] = ()
    http_status: int | None = None
    times: int | None = 1
    probability: float = 1.0
    path: str | None = None
    api_key: str | None = None
    params: dict[str, str] = field(default_factory=dict)
    delay_ms: tuple[int, int] | None = None
    retry_after: int | None = None
    fired: int = 0

    @property
    def active(self) -> bool:
        """A spent rule stays listed (with its count) but no longer fires."""
        return self.times is None or self.fired < self.times

    def matches(self, path: str, api_key: str | None, params: Mapping[str, str], signed: bool) -> bool:
        # A rule that names no path acts on signed calls only: a client reading the server
        # time or pinging first must not use up "the next two calls".
        if self.path is None and not signed:
            return False
        if self.path is not None and self.path != path:
            return False
        if self.api_key is not None and self.api_key != api_key:
            return False
        return all(params.get(k) == v for k, v in self.params.items())

    def error(self, fill: Filler | None = None) -> BinanceError:
        assert self.code is not None
        spec = errors.CATALOG.get(self.code) or ErrorSpec(
            self.code, "INJECTED", errors.status_for(self.code), ""
        )
        args = self.args or (fill(spec) if fill is not None else ())
        msg = self.msg if self.msg is not None else spec.format(*args)
        return BinanceError(spec, status=self.http_status, msg=msg)

    def to_dict(self, mask: Any = None) -> dict[str, Any]:
        """The rule as the control API shows it; the API key masked (it may be a real one)."""
        match: dict[str, Any] = {}
        if self.path is not None:
            match["path"] = self.path
        if self.api_key is not None:
            match["apiKey"] = mask(self.api_key) if mask else self.api_key
        if self.params:
            match["params"] = dict(self.params)
        return {
            "id": self.id,
            "fault": self.kind,
            "code": self.code,
            "msg": self.msg,
            "args": list(self.args),
            "http_status": self.http_status,
            "times": self.times,
            "probability": self.probability,
            "match": match,
            "delay_ms": list(self.delay_ms) if self.delay_ms else None,
            "retry_after": self.retry_after,
            "fired": self.fired,
            "remaining": None if self.times is None else self.times - self.fired,
        }


def _int(data: Mapping[str, Any], name: str, low: int | None = None, high: int | None = None) -> int | None:
    value = data.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"'{name}' must be an integer")
    if (low is not None and value < low) or (high is not None and value > high):
        raise ValueError(f"'{name}' must be between {low} and {high}")
    return value


def parse_rule(data: Any, rule_id: int, paths: Collection[str] = ()) -> FaultRule:
    """Validate a rule in the control API's shape; errors name the field. With `paths`, the
    paths the mock serves, a rule for any other path (which could never fire) is refused."""
    if not isinstance(data, Mapping):
        raise ValueError("a fault rule is a JSON object")
    unknown = set(data) - _RULE_FIELDS
    if unknown:
        raise ValueError(
            f"unknown field(s) {', '.join(sorted(unknown))}; known: {', '.join(sorted(_RULE_FIELDS))}"
        )
    code = _int(data, "code", -99_999, -1)
    fault = data.get("fault")
    if fault is not None and fault not in ("error", "delay", *CONNECTION_FAULTS):
        raise ValueError("'fault' must be one of error, delay, empty_reply, reset")
    delay = _parse_delay(data.get("delay_ms"))
    if fault is None:
        fault = "error" if code is not None else "delay"
    if fault == "error" and code is None:
        raise ValueError("an error rule needs 'code' (a negative Binance error code)")
    if fault == "delay" and delay is None:
        raise ValueError("a rule needs 'code', 'delay_ms' or 'fault'")
    if fault != "error" and code is not None:
        raise ValueError(f"'code' does not go with fault {fault!r}")
    # Omitted: one firing (a oneshot); explicit null: until removed (docs/control-api.md).
    times = _int(data, "times", 1, 10**9) if "times" in data else 1
    probability = data.get("probability", 1.0)
    if isinstance(probability, bool) or not isinstance(probability, int | float) or not 0 <= probability <= 1:
        raise ValueError("'probability' must be a number from 0 to 1")
    msg = data.get("msg")
    if msg is not None and not isinstance(msg, str):
        raise ValueError("'msg' must be a string")
    args = data.get("args", [])
    if not isinstance(args, list) or not all(isinstance(a, str | int | float) for a in args):
        raise ValueError("'args' must be a list of strings or numbers")
    match = data.get("match") or {}
    if not isinstance(match, Mapping) or set(match) - _MATCH_FIELDS:
        raise ValueError("'match' is an object with 'path', 'apiKey' and 'params'")
    params = match.get("params") or {}
    if not isinstance(params, Mapping):
        raise ValueError("'match.params' must be an object of parameter values")
    for name in ("path", "apiKey"):
        if match.get(name) is not None and not isinstance(match[name], str):
            raise ValueError(f"'match.{name}' must be a string")
    path = match.get("path")
    if paths and path is not None and path not in paths:
        raise ValueError(unserved_path(path, paths))
    if code is not None and msg is None:
        _check_message(code, args)
    return FaultRule(
        id=rule_id,
        kind=fault,
        code=code,
        msg=msg,
        args=tuple(str(a) for a in args),
        http_status=_status(data),
        times=times,
        probability=float(probability),
        path=match.get("path"),
        api_key=match.get("apiKey"),
        params={str(k): str(v) for k, v in params.items()},
        delay_ms=delay,
        retry_after=_int(data, "retry_after", 0, 86_400),
    )


def unserved_path(path: str, paths: Collection[str]) -> str:
    """The refusal of a path no rule could fire on: the nearest served ones, not all 340."""
    near = difflib.get_close_matches(path, list(paths), n=3, cutoff=0.6)
    hint = f"; did you mean {' or '.join(near)}?" if near else ""
    return (
        f"'match.path' {path!r} is not served by this mock{hint} "
        f"(GET /_mock/openapi.json or /_mock/health lists the {len(paths)} served paths)"
    )


def _check_message(code: int, args: list[Any]) -> None:
    """A rule's answer needs a message: the catalog's, with as many args as it has placeholders."""
    spec = errors.CATALOG.get(code)
    if spec is None:
        # Binance never answers an empty msg; the mock does not know this code's wording.
        raise ValueError(
            f"code {code} is not in the mock's catalog of Binance errors, so it has no message: "
            f'add \'msg\' with the text to answer (e.g. {{"code": {code}, "msg": "..."}})'
        )
    wanted = spec.template.count("%s")
    if args and len(args) != wanted:
        raise ValueError(
            f"'args' for code {code} fill its message's {wanted} placeholder(s) ({spec.template!r}); "
            f"got {len(args)}. Omit 'args' and the mock fills them itself"
        )


def _status(data: Mapping[str, Any]) -> int | None:
    # 1xx, 204 and 304 answers carry no body, and a Binance error is a body.
    try:
        return _int(data, "http_status", 400, 599)
    except ValueError:
        raise ValueError(
            "'http_status' must be between 400 and 599 (a status whose answer has a body)"
        ) from None


def _parse_delay(value: Any) -> tuple[int, int] | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 600_000:
        return (value, value)
    if (
        isinstance(value, list)
        and len(value) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
        and 0 <= value[0] <= value[1] <= 600_000
    ):
        return (value[0], value[1])
    raise ValueError("'delay_ms' must be milliseconds (0 to 600000) or a [low, high] range")


class Outcome(NamedTuple):  # immutable, and cheaper to build than a frozen dataclass
    """What the matching rules decided for one call."""

    delay_ms: int = 0
    error: BinanceError | None = None
    drop: str | None = None  # "empty_reply" or "reset"
    rule_id: int | None = None
    retry_after: int | None = None


NOTHING = Outcome()


class FaultBook:
    def __init__(
        self, seed: int = 0, paths: Collection[str] = (), lock: threading.RLock | None = None
    ) -> None:
        self._paths = paths
        self._lock = lock or threading.RLock()
        self._rules: list[FaultRule] = []
        self._next_id = 1
        self._rng = random.Random(seed)
        self._seed = seed

    def add(self, data: Any) -> FaultRule:
        with self._lock:
            rule = parse_rule(data, self._next_id, self._paths)
            self._next_id += 1
            self._rules.append(rule)
            return rule

    def remove(self, rule_id: int) -> bool:
        with self._lock:
            before = len(self._rules)
            self._rules = [r for r in self._rules if r.id != rule_id]
            return len(self._rules) != before

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()
            self._rng.seed(self._seed)

    def rules(self) -> list[FaultRule]:
        with self._lock:
            return list(self._rules)

    def snapshot(self) -> tuple[list[FaultRule], int, Any]:
        with self._lock:  # a rule counts its firings: copy each
            return [copy.copy(r) for r in self._rules], self._next_id, self._rng.getstate()

    def restore(self, snapshot: tuple[list[FaultRule], int, Any]) -> None:
        rules, next_id, rng = snapshot
        with self._lock:
            self._rules = [copy.copy(r) for r in rules]
            self._next_id = next_id
            self._rng.setstate(rng)

    def decide(
        self,
        path: str,
        api_key: str | None,
        params: Mapping[str, str],
        signed: bool = True,
        fill: Filler | None = None,
    ) -> Outcome:
        """Fire every matching latency rule, and the first matching error or connection rule.
        `signed`: whether the call is to a SIGNED endpoint (rules without a path act on those only);
        `fill`: the values of a catalog message's placeholders at this call, for rules without args."""
        if not self._rules:  # the common case: no lock, no work
            return NOTHING
        delay = 0
        with self._lock:
            for rule in self._rules:
                if not rule.active or not rule.matches(path, api_key, params, signed):
                    continue
                if rule.probability < 1.0 and self._rng.random() >= rule.probability:
                    continue
                rule.fired += 1
                if rule.delay_ms is not None:
                    low, high = rule.delay_ms
                    delay += low if low == high else self._rng.randint(low, high)
                if rule.kind == "delay":
                    continue
                if rule.kind == "error":
                    return Outcome(delay, rule.error(fill), None, rule.id, rule.retry_after)
                return Outcome(delay, None, rule.kind, rule.id)
        return Outcome(delay)

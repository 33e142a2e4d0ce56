"""Schemathesis against the mock's served OpenAPI document (`/_mock/openapi.json`).

Every generated request to a Binance path is signed like a client signs it (timestamp now,
HMAC over the exact query string requests will send), except a share that is deliberately
signed wrong, stale, or sent without a key: those must come back as documented 400/401
answers, never as a server error. The control API (`/_mock/...`) is left out: fuzzing it
would rewrite the mock's own state.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import requests
from requests.models import RequestEncodingMixin

from binance_mock.contracts.facts import DEMO_API_KEY, DEMO_SECRET
from binance_mock.contracts.target import PATH

MODES = ("signed", "signed", "signed", "signed", "signed", "wrong_signature", "stale", "no_key")
SIGNED_PATH = PATH  # the exact tier's endpoint: the most examples


@dataclass
class Stats:
    examples: int = 0
    by_status: dict[int, int] = field(default_factory=dict)
    by_mode: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)

    def merge(self, other: Stats) -> None:
        self.examples += other.examples
        for status, n in other.by_status.items():
            self.by_status[status] = self.by_status.get(status, 0) + n
        for mode, n in other.by_mode.items():
            self.by_mode[mode] = self.by_mode.get(mode, 0) + n
        self.failures += other.failures

    def count(self, mode: str, status: int) -> None:
        self.examples += 1
        self.by_status[status] = self.by_status.get(status, 0) + 1
        self.by_mode[mode] = self.by_mode.get(mode, 0) + 1


def _flat(value: Any) -> Any:
    """Query values as the strings a client sends, so the signed bytes are the sent bytes."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return [_flat(v) for v in value if v is not None]
    if isinstance(value, dict):
        return json.dumps(value)
    return str(value)


def sign_case(case: Any, mode: str, api_key: str, secret: str) -> None:
    """Make the case a signed request (or a deliberately bad one) in place."""
    query = {k: _flat(v) for k, v in (case.query or {}).items() if v is not None and k != "signature"}
    now = time.time_ns() // 1_000_000
    query["timestamp"] = str(now - 3_600_000 if mode == "stale" else now)
    # requests encodes a dict exactly like this when it builds the URL: sign those bytes.
    payload = RequestEncodingMixin._encode_params(query)
    assert isinstance(payload, str)
    signature = hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()
    if mode == "wrong_signature":
        signature = hmac.new(b"not the secret", payload.encode(), hashlib.sha256).hexdigest()
    case.query = {**query, "signature": signature}
    headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != "x-mbx-apikey"}
    if mode != "no_key":
        headers["X-MBX-APIKEY"] = api_key
    case.headers = headers


def _checks() -> list[Callable[..., Any]]:
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    return [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,
    ]


def run_schemathesis(
    base_url: str,
    examples: dict[str, int],
    api_key: str = DEMO_API_KEY,
    secret: str = DEMO_SECRET,
    seed: int | None = None,
    spec_path: str | None = None,
    default_examples: int = 0,
) -> Stats:
    """Fuzz each Binance operation: `examples` maps path -> max examples (`default_examples` for
    the others). The schema is the served document, or the file at `spec_path` (Binance's own
    description); every operation with a `signature` parameter is signed like a client does, and
    every one that needs a key gets it."""
    import schemathesis
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import strategies as st
    from schemathesis import GenerationMode

    if spec_path is not None:
        schema = schemathesis.openapi.from_dict(_with_binance_rules(spec_path))
    else:
        schema = schemathesis.openapi.from_url(f"{base_url}/_mock/openapi.json").exclude(path_regex="^/_mock")
    stats = Stats()
    session = requests.Session()
    checks = _checks()

    def make_test(operation: Any, budget: int) -> Callable[[], None]:
        path = operation.path
        signed = "signature" in {p.name for p in operation.query}
        keyed = signed or bool(operation.definition.raw.get("security"))
        # Invalid values, and deliberately bad requests, only where the description documents
        # the answer they earn: 400 for a bad value, a wrong or stale signature; 401 without a key.
        documented = set(operation.definition.raw.get("responses", {}))
        generation = [GenerationMode.POSITIVE]
        if "400" in documented:
            generation.append(GenerationMode.NEGATIVE)
        strategy = st.one_of(*(operation.as_strategy(generation_mode=g) for g in generation))
        allowed = {"signed", "wrong_signature", "stale"} if "400" in documented else {"signed"}
        modes = [m for m in MODES if m in allowed or (m == "no_key" and "401" in documented)]

        @settings(max_examples=budget, deadline=None, database=None, phases=[Phase.generate],
                  suppress_health_check=list(HealthCheck), derandomize=seed is None)  # fmt: skip
        @given(case=strategy, mode=st.sampled_from(modes))
        def one(case: Any, mode: str) -> None:
            if signed:
                sign_case(case, mode, api_key, secret)
            elif keyed and mode != "no_key":
                mode = "key"
                case.headers = {**(case.headers or {}), "X-MBX-APIKEY": api_key}
            elif not keyed:
                mode = "public"
            response = case.call(base_url=base_url, session=session)
            stats.count(mode, response.status_code)
            try:
                case.validate_response(response, checks=checks)
            except (Exception, BaseExceptionGroup) as exc:  # an AssertionError or a FailureGroup
                stats.failures.append(f"{operation.method.upper()} {path} [{mode}]: {_first_line(exc)}")
                raise

        return _seeded(one, seed) if seed is not None else one

    for result in schema.get_all_operations():
        operation = result.ok()
        budget = examples.get(operation.path, default_examples)
        if budget:
            with contextlib.suppress(Exception, BaseExceptionGroup):
                make_test(operation, budget)()  # failures are in stats (hypothesis re-raises the minimal one)
    return stats


def _with_binance_rules(spec_path: str) -> dict[str, Any]:
    """The description, its answer schemas corrected where Binance's documentation contradicts
    them (SCHEMA_ERRATA), with two of Binance's rules it leaves out: an integer parameter is a LONG
    (1 to 20 digits, never negative: docs/fidelity.md F10), and a mandatory one sent empty is not
    sent (F29). Without them a "valid" -1 or "" earns a 400 that operations documenting only 200
    do not list."""
    import yaml

    from mock_server.endpoints.spec import corrected

    with open(spec_path, "rb") as f:
        spec: dict[str, Any] = corrected(yaml.load(f, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)))
    params = list(spec.get("components", {}).get("parameters", {}).values())
    params += [p for item in spec["paths"].values() for op in item.values() if isinstance(op, dict)
               for p in op.get("parameters", []) if "$ref" not in p]  # fmt: skip
    for param in params:
        schema = param.get("schema", {})
        if schema.get("type") == "integer" and "minimum" not in schema:
            schema["minimum"] = 0
        if schema.get("type") == "string" and param.get("required") and "enum" not in schema:
            schema.setdefault("minLength", 1)
    return spec


def _first_line(exc: BaseException) -> str:
    inner = getattr(exc, "exceptions", None)
    text = str(inner[0] if inner else exc).strip()
    return (text.splitlines() or [type(exc).__name__])[0][:300]


def _seeded(test: Callable[[], None], seed: int) -> Callable[[], None]:
    from hypothesis import seed as hseed

    return hseed(seed)(test)


@contextmanager
def _mock() -> Iterator[str]:
    from mock_server import MockBinance

    # Limits out of the way: Binance's description documents no 429, and the fuzz is no load test.
    with MockBinance(rows=2_000, ip_weight_limit=10**9) as mock:
        mock.exchange.weights.api_ip.limit = mock.exchange.weights.sapi_uid.limit = 10**9
        yield mock.base_url


def fuzz(base_url: str | None, max_examples: int, seed: int | None, spec_examples: int = 50) -> int:
    """`binance-mock fuzz`: the exact endpoints against the served document, then every
    operation of Binance's own description (`spec_examples` each); exit 1 on any failure."""
    from mock_server.endpoints.spec import SPEC_FILE

    per_op = {SIGNED_PATH: max_examples, "/api/v3/ping": 50, "/api/v3/time": 50, "/sapi/v1/system/status": 50}
    start = time.monotonic()
    with contextlib.ExitStack() as stack:
        url = base_url.rstrip("/") if base_url is not None else stack.enter_context(_mock())
        stats = run_schemathesis(url, per_op, seed=seed)
        if spec_examples:
            spec = run_schemathesis(
                url, {}, seed=seed, spec_path=str(SPEC_FILE), default_examples=spec_examples
            )
            stats.merge(spec)
    print(f"schemathesis: {stats.examples} examples in {time.monotonic() - start:.1f} s; "
          f"statuses {dict(sorted(stats.by_status.items()))}; modes {stats.by_mode}")  # fmt: skip
    for failure in stats.failures:
        print(f"FAILED {failure}")
    return 1 if stats.failures else 0

"""The contract suite's one signed client (Target.signed_query and signed_get): each way of
spoiling a request sends exactly the bytes the checks used to assemble by hand, and no check
spells the path or a signature pair itself."""

from __future__ import annotations

import hashlib
import hmac
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from binance_mock.contracts.facts import DEMO_API_KEY, DEMO_SECRET
from binance_mock.contracts.target import PATH, Answer, Credentials, Safety, Target

ROOT = Path(__file__).resolve().parent.parent
TS = 1_790_000_000_000
PAYLOAD = f"size=1&timestamp={TS}"


def hmac_hex(payload: str, secret: str = DEMO_SECRET) -> str:
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()


@pytest.fixture
def target() -> Target:
    return Target("http://127.0.0.1:9", Credentials(DEMO_API_KEY, "hmac", secret=DEMO_SECRET), Safety())


@pytest.mark.parametrize(
    ("spoil", "expected"),
    [
        (None, f"{PAYLOAD}&signature={hmac_hex(PAYLOAD)}"),
        ("missing", PAYLOAD),
        ("empty", f"{PAYLOAD}&signature="),
        ("zeros", f"{PAYLOAD}&signature={'0' * 64}"),
        ("upper", f"{PAYLOAD}&signature={hmac_hex(PAYLOAD).upper()}"),
        ("first", f"signature={hmac_hex(PAYLOAD)}&{PAYLOAD}"),
    ],
)
def test_each_spoil_sends_the_query_the_checks_built(target: Target, spoil: Any, expected: str) -> None:
    assert target.signed_query([("size", 1)], TS, spoil) == expected


def test_another_secret_signs_the_same_payload_wrongly(target: Target) -> None:
    query = target.signed_query([("size", 1)], TS, "other_secret")
    payload, sig = query.split("&signature=")
    assert payload == PAYLOAD and re.fullmatch(r"[0-9a-f]{64}", sig) and sig != hmac_hex(PAYLOAD)
    assert target.signed_query([("size", 1)], TS, "other_secret") != query  # a new secret each time


def test_a_tampered_payload_keeps_the_signature_of_the_original(target: Target) -> None:
    query = target.signed_query([("size", 1)], TS, tamper=("size=1", "size=2"))
    assert query == f"size=2&timestamp={TS}&signature={hmac_hex(PAYLOAD)}"


def test_a_timestamp_may_be_left_out_or_malformed(target: Target) -> None:
    assert target.signed_query([("size", 1)], None) == f"size=1&signature={hmac_hex('size=1')}"
    malformed = "size=1&timestamp=12ab"
    assert target.signed_query([("size", 1)], "12ab") == f"{malformed}&signature={hmac_hex(malformed)}"
    assert target.signed_query([("size", 1)], None, "missing") == "size=1"


def test_a_swapped_case_base64_signature_is_encoded_again() -> None:
    key = ed25519.Ed25519PrivateKey.generate()
    target = Target("http://127.0.0.1:9", Credentials(DEMO_API_KEY, "ed25519", private_key=key), Safety())
    right = target.creds.sign(PAYLOAD.encode())
    query = target.signed_query([("size", 1)], TS, "swapcase")
    assert query == f"{PAYLOAD}&signature={quote(unquote(right).swapcase(), safe='')}"


def test_every_signature_from_our_key_is_redacted(target: Target) -> None:
    for spoil in (None, "upper", "first"):
        query = target.signed_query([("size", 1)], TS, spoil)
        sig = re.search(r"signature=([^&]*)", query)[1]  # type: ignore[index]
        assert sig not in target.redact(f"key {sig} seen")


def test_signed_get_sends_to_the_margin_history_unless_told(target: Target, monkeypatch: Any) -> None:
    sent: list[tuple[str, str, dict[str, str]]] = []

    def send(method: str, url: str, headers: dict[str, str], body: bytes | None = None) -> Answer:
        sent.append((method, url, headers))
        return Answer(200, {}, b"{}", 0.0)  # type: ignore[arg-type]

    monkeypatch.setattr(target, "_send", send)
    target.signed_get([("size", 1)], TS, spoil="zeros")
    target.signed_get([("isIsolated", "MAYBE")], TS, path="/sapi/v1/margin/openOrders", api_key=None)
    target.signed_get([("size", 1)], None, spoil="missing", api_key="Z" * 64)
    assert sent == [
        ("GET", f"http://127.0.0.1:9{PATH}?{PAYLOAD}&signature={'0' * 64}", {"X-MBX-APIKEY": DEMO_API_KEY}),
        (
            "GET",
            f"http://127.0.0.1:9/sapi/v1/margin/openOrders?isIsolated=MAYBE&timestamp={TS}"
            f"&signature={hmac_hex(f'isIsolated=MAYBE&timestamp={TS}')}",
            {},
        ),
        ("GET", f"http://127.0.0.1:9{PATH}?size=1", {"X-MBX-APIKEY": "Z" * 64}),
    ]


def test_no_check_spells_the_path_or_a_signature_pair() -> None:
    """The checks build signed requests through Target.signed_get (Context.get); the path is
    target.PATH, named once."""
    sources = [*(ROOT / "contracts" / "checks").glob("*.py"), ROOT / "contracts" / "fuzz.py"]
    hits = [
        f"{path.relative_to(ROOT)}: {needle}"
        for path in sources
        for needle in (PATH, "signature=", "signature_for(")
        if needle in path.read_text(encoding="utf-8")
    ]
    assert len(sources) > 5
    assert not hits, hits

"""The signed-request rules, tested on the domain alone (no server)."""

from __future__ import annotations

import base64
from typing import NamedTuple

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from mock_server.rules import errors, security
from mock_server.rules.errors import BinanceError
from mock_server.rules.fidelity import Profile
from mock_server.rules.params import parse_query
from mock_server.rules.signature import sign_hmac, sign_with_private_key, signed_payload
from mock_server.state.accounts import (
    DEMO_API_KEY,
    DEMO_SECRET,
    MARGIN_PERMISSION,
    Account,
    KeyStore,
    demo_account,
)

# docs/fidelity.md §9, each documented vector.
VECTORS = [
    (
        b"symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559",
        "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71",
    ),
    (
        b"symbol=%EF%BC%91%EF%BC%92%EF%BC%93%EF%BC%94%EF%BC%95%EF%BC%96&side=BUY&type=LIMIT&timeInForce=GTC"
        b"&quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559",
        "e1353ec6b14d888f1164ae9af8228a3dbd508bc82eb867db8ab6046442f33ef3",
    ),
    (b"timestamp=1578963600000", "d84e6641b1e328e7b418fff030caed655c266299c9355e36ce801ed14631eed4"),
    (
        b"asset=BNB&type=ROLL_IN&current=1&size=10&recvWindow=5000&timestamp=1499827319559",
        "8aea33594822556977336c872d3eec3631028e7bc3b49359a598787613bbf514",
    ),
]


@pytest.mark.parametrize(("payload", "expected"), VECTORS)
def test_documented_hmac_vectors(payload: bytes, expected: str) -> None:
    assert sign_hmac(DEMO_SECRET, payload) == expected
    assert demo_account().verify(payload, expected)
    assert demo_account().verify(payload, expected.upper())  # HMAC hex is case-insensitive
    assert not demo_account().verify(payload + b"&x=1", expected)


def test_h3_query_and_body_concatenate_without_separator() -> None:
    query = b"symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC"
    body = b"quantity=1&price=0.1&recvWindow=5000&timestamp=1499827319559"
    payload = signed_payload(query, body)
    assert payload == query + body
    assert (
        sign_hmac(DEMO_SECRET, payload) == "0fd168b8ddb4876a0358a8d14d0c9f3da0e9b20c5d52b2a00fcf7d1c602f9a77"
    )


def test_signature_pair_removed_wherever_it_stands() -> None:
    assert signed_payload(b"a=1&signature=abc&b=2", b"") == b"a=1&b=2"
    assert signed_payload(b"signature=abc&a=1", b"") == b"a=1"
    assert signed_payload(b"a=1&signatureX=2", b"") == b"a=1&signatureX=2"


def _rsa_account() -> tuple[Account, rsa.RSAPrivateKey]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return Account(api_key="R" * 64, key_type="rsa", public_key=key.public_key()), key


def test_rsa_signature_verifies_and_is_case_sensitive() -> None:
    account, key = _rsa_account()
    payload = b"timestamp=1578963600000"
    sig = sign_with_private_key(key, payload)
    assert account.verify(payload, sig)
    assert not account.verify(payload, sig.swapcase())
    assert not account.verify(payload + b"0", sig)
    assert not account.verify(payload, "not base64!!")


def test_ed25519_signature_verifies() -> None:
    key = ed25519.Ed25519PrivateKey.generate()
    account = Account(api_key="E" * 64, key_type="ed25519", public_key=key.public_key())
    payload = b"asset=BNB&timestamp=1578963600000"
    sig = sign_with_private_key(key, payload)
    assert len(base64.b64decode(sig)) == 64
    assert account.verify(payload, sig)
    assert not account.verify(payload, sig.swapcase())
    assert not account.verify(b"asset=BNC&timestamp=1578963600000", sig)


def test_pem_keys_load_from_keys_file(tmp_path) -> None:
    from mock_server.state.accounts import load_keys

    key = ed25519.Ed25519PrivateKey.generate()
    pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    (tmp_path / "ed.pem").write_bytes(pem)
    (tmp_path / "keys.json").write_text(
        '{"accounts": [{"apiKey": "abc123", "keyType": "ed25519", "publicKeyFile": "ed.pem"},'
        ' {"apiKey": "def456", "secret": "s", "permissions": ["reading"], "marginAccount": false}]}'
    )
    accounts = load_keys(tmp_path / "keys.json")
    assert [a.key_type for a in accounts] == ["ed25519", "hmac"]
    assert accounts[1].permissions == frozenset({"reading"})
    assert accounts[0].verify(b"x", sign_with_private_key(key, b"x"))


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ('{"accounts": []}', "non-empty list"),
        ('{"accounts": [{"apiKey": "bad key!", "secret": "s"}]}', "accounts[0]: apiKey"),
        ('{"accounts": [{"apiKey": "abc", "keyType": "dsa"}]}', "accounts[0]: keyType"),
        ('{"accounts": [{"apiKey": "abc"}]}', "accounts[0]: an hmac account needs"),
        ('{"accounts": [{"apiKey": "abc", "keyType": "rsa", "publicKey": "nope"}]}', "not a PEM"),
        (
            '{"accounts": [{"apiKey": "a", "secret": "s"}, {"apiKey": "a", "secret": "t"}]}',
            "accounts[1]: apiKey appears",
        ),
    ],
)
def test_bad_keys_file_is_refused_naming_the_field(tmp_path, doc: str, message: str) -> None:
    from mock_server.state.accounts import load_keys

    (tmp_path / "k.json").write_text(doc)
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_keys(tmp_path / "k.json")


NOW = 1_700_000_000_000


class _Auth(NamedTuple):
    account: Account
    timestamp: int
    recv_window: int


def _auth(query: bytes, api_key: str | None = DEMO_API_KEY, profile: Profile | None = None) -> _Auth:
    """The signed steps in the pipeline's order (test_pipeline_order.py checks that order)."""
    profile = profile or Profile()
    account = security.check_key(api_key, KeyStore([demo_account()]).get, MARGIN_PERMISSION)
    params = parse_query(query)
    signed = security.require_signed(params)
    window = security.recv_window(params)
    timestamp = security.check_timestamp(signed.timestamp, window, NOW, profile)
    security.check_signature(account, query, b"", signed.signature, profile)
    return _Auth(account, timestamp, window)


def _signed(q: str) -> bytes:
    return f"{q}&signature={sign_hmac(DEMO_SECRET, q.encode())}".encode()


def test_timestamp_boundaries() -> None:
    # Exactly recvWindow old passes; one more millisecond does not.
    assert _auth(_signed(f"timestamp={NOW - 5000}")).timestamp == NOW - 5000
    with pytest.raises(BinanceError) as e:
        _auth(_signed(f"timestamp={NOW - 5001}"))
    assert e.value.spec is errors.TIMESTAMP_OUTSIDE_WINDOW
    # 999 ms ahead passes; exactly 1000 ms ahead does not.
    _auth(_signed(f"timestamp={NOW + 999}"))
    with pytest.raises(BinanceError) as e:
        _auth(_signed(f"timestamp={NOW + 1000}"))
    assert e.value.spec is errors.TIMESTAMP_AHEAD


def test_recv_window_60000_is_allowed_and_60001_is_not() -> None:
    assert _auth(_signed(f"recvWindow=60000&timestamp={NOW - 60000}")).recv_window == 60000
    with pytest.raises(BinanceError) as e:
        _auth(_signed(f"recvWindow=60001&timestamp={NOW}"))
    assert (e.value.code, e.value.msg) == (-1131, "recvWindow must be less than 60000")


def test_microsecond_timestamp_rejected_by_default_and_accepted_by_profile() -> None:
    q = _signed(f"timestamp={NOW * 1000}")
    with pytest.raises(BinanceError) as e:
        _auth(q)
    assert e.value.spec is errors.TIMESTAMP_AHEAD
    assert _auth(q, profile=Profile(microsecond_timestamp="accept")).timestamp == NOW


def test_signature_last_profile() -> None:
    q = f"timestamp={NOW}"
    sig = sign_hmac(DEMO_SECRET, q.encode())
    first = f"signature={sig}&{q}".encode()
    assert _auth(first).account.api_key == DEMO_API_KEY
    with pytest.raises(BinanceError) as e:
        _auth(first, profile=Profile(signature_position="last"))
    assert e.value.code == -1022


@pytest.mark.parametrize(
    ("key", "shown"),
    [("abc", "***"), ("abcdefghi", "ab..."), ("abcdefghijklmno", "ab..."), ("abcdefghijklmnop", "abcd...mnop"),
     (DEMO_API_KEY, DEMO_API_KEY[:4] + "..." + DEMO_API_KEY[-4:])],
)  # fmt: skip
def test_a_masked_key_never_shows_more_than_half_of_it(key: str, shown: str) -> None:
    from mock_server.state.accounts import mask_key

    assert mask_key(key) == shown
    assert len(shown.replace(".", "").replace("*", "")) <= len(key) / 2

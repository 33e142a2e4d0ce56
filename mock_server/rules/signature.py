"""Binance's request signature, in one place: what is signed, how a client signs, how it is checked.

The payload (F14) is the raw query string followed by the raw body, byte for byte, with every
`signature=` pair removed. HMAC-SHA256 keys sign it as lower- or upper-case hex; RSA (PKCS#1
v1.5, SHA-256) and Ed25519 keys sign it as base64 (docs/fidelity.md, "Signatures").
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

# --- what is signed ---


def signed_payload(raw_query: bytes, body: bytes) -> bytes:
    """F14: the raw query plus body, byte for byte, with every `signature=` pair removed."""
    return _strip_signature(raw_query) + _strip_signature(body)


def _strip_signature(raw: bytes) -> bytes:
    if b"signature" not in raw:
        return raw
    # What every client library sends: one signature, the last pair.
    head, _, last = raw.rpartition(b"&")
    if b"signature" not in head and last.partition(b"=")[0] == b"signature":
        return head
    kept = [p for p in raw.split(b"&") if p.partition(b"=")[0] != b"signature"]
    return b"&".join(kept)


def signature_is_last(raw_query: bytes, body: bytes) -> bool:
    """True when the last pair sent (body after query) is the signature."""
    pieces = [p for p in (raw_query + b"&" + body).split(b"&") if p]
    return bool(pieces) and pieces[-1].partition(b"=")[0] == b"signature"


# --- signing: the maths a client does (tests, the contract suite and the recorder) ---


def sign_hmac(secret: str, payload: bytes) -> str:
    return hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()


def sign_with_private_key(private_key: Any, payload: bytes) -> str:
    if isinstance(private_key, rsa.RSAPrivateKey):
        raw = private_key.sign(payload, padding.PKCS1v15(), hashes.SHA256())
    elif isinstance(private_key, ed25519.Ed25519PrivateKey):
        raw = private_key.sign(payload)
    else:
        raise TypeError("private key must be RSA or Ed25519")
    return base64.b64encode(raw).decode()


# --- verifying ---


def keyed_hmac(secret: str) -> Any:
    """The secret's HMAC state, keyed once: each request hashes a copy of it, which skips hashing
    the key's two pads again (a third of a signature check). OpenSSL's own HMAC object when Python
    has one: its copy, update and hexdigest are C calls, where the hmac module's wrapper adds four
    Python calls to every request."""
    keyed = hmac.new(secret.encode(), digestmod=hashlib.sha256)
    return getattr(keyed, "_hmac", None) or keyed


def verify_hmac(keyed: Any, payload: bytes, signature: str) -> bool:
    mac = keyed.copy()  # never updated itself: shared by every request
    mac.update(payload)
    expected = mac.hexdigest().encode()
    # HMAC hex is case-insensitive (docs/fidelity.md, "Signatures"); compare in constant time.
    return hmac.compare_digest(expected, signature.lower().encode("utf-8"))


def verify_with_public_key(public_key: Any, payload: bytes, signature: str) -> bool:
    """An RSA or Ed25519 signature, base64, over the payload."""
    try:
        raw = base64.b64decode(signature.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        return False
    try:
        if isinstance(public_key, rsa.RSAPublicKey):
            public_key.verify(raw, payload, padding.PKCS1v15(), hashes.SHA256())
        else:
            public_key.verify(raw, payload)
    except (InvalidSignature, ValueError):
        return False
    return True

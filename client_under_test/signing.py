"""Request signing for the three key types Binance accepts.

The signed payload is the exact query string that goes on the wire (this client sends every
parameter of a GET in the query string and no body). HMAC-SHA256 gives lower-case hex;
RSA (PKCS#1 v1.5, SHA-256) and Ed25519 give base64, which the caller percent-encodes
(`+`, `/`, `=`) when it appends `&signature=...`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from pathlib import Path
from typing import Literal, Protocol

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, padding, rsa

KeyType = Literal["hmac", "rsa", "ed25519"]


class Signer(Protocol):
    key_type: KeyType

    def sign(self, payload: bytes) -> str: ...


class HmacSigner:
    key_type: KeyType = "hmac"

    def __init__(self, secret: str) -> None:
        if not secret:
            raise ValueError("empty HMAC secret")
        self._secret = secret.encode()

    def sign(self, payload: bytes) -> str:
        return hmac.new(self._secret, payload, hashlib.sha256).hexdigest()

    def __repr__(self) -> str:  # never show the secret in logs or tracebacks
        return "HmacSigner(secret=***)"


class RsaSigner:
    key_type: KeyType = "rsa"

    def __init__(self, private_key: rsa.RSAPrivateKey) -> None:
        self._key = private_key

    def sign(self, payload: bytes) -> str:
        return base64.b64encode(self._key.sign(payload, padding.PKCS1v15(), hashes.SHA256())).decode()


class Ed25519Signer:
    key_type: KeyType = "ed25519"

    def __init__(self, private_key: ed25519.Ed25519PrivateKey) -> None:
        self._key = private_key

    def sign(self, payload: bytes) -> str:
        return base64.b64encode(self._key.sign(payload)).decode()


def signer_from_pem(pem: bytes, password: bytes | None = None) -> RsaSigner | Ed25519Signer:
    """An RSA or Ed25519 signer from a PEM private key; the key's type decides which."""
    key = serialization.load_pem_private_key(pem, password=password)
    if isinstance(key, rsa.RSAPrivateKey):
        return RsaSigner(key)
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return Ed25519Signer(key)
    raise ValueError(f"unsupported private key type {type(key).__name__}: use RSA or Ed25519")


def load_private_key(path: str | Path, password: bytes | None = None) -> RsaSigner | Ed25519Signer:
    return signer_from_pem(Path(path).read_bytes(), password)

"""API key and signature rules (§1, decisions F14-F17)."""

from __future__ import annotations

import secrets
import string

from binance_mock.contracts.context import Context
from binance_mock.contracts.facts import errors
from binance_mock.contracts.registry import Skipped, check


def _needs_type(ctx: Context, *types: str) -> None:
    kind = ctx.target.creds.key_type
    if kind not in types:
        raise Skipped(f"the key given is {kind}; this check needs a {' or '.join(types)} key")


def _valid(ctx: Context) -> None:
    ctx.expect_ok(ctx.get([("size", 1)]), f"a correctly signed {ctx.target.creds.key_type} request")


@check("sig.valid_hmac", "A request signed with HMAC-SHA256 (lower-case hex) is answered 200.", "§1.2")
def valid_hmac(ctx: Context) -> None:
    _needs_type(ctx, "hmac")
    _valid(ctx)


@check(
    "sig.valid_rsa",
    "A request signed RSASSA-PKCS1-v1_5/SHA-256, base64 then percent-encoded, is answered 200.",
    "§1.2",
)
def valid_rsa(ctx: Context) -> None:
    _needs_type(ctx, "rsa")
    _valid(ctx)


@check(
    "sig.valid_ed25519",
    "A request signed with Ed25519, base64 then percent-encoded, is answered 200.",
    "§1.2",
)
def valid_ed25519(ctx: Context) -> None:
    _needs_type(ctx, "ed25519")
    _valid(ctx)


@check("sig.hmac_uppercase", "An HMAC signature in upper-case hex is accepted too.", "§1.2")
def hmac_uppercase(ctx: Context) -> None:
    _needs_type(ctx, "hmac")
    ctx.expect_ok(ctx.get([("size", 1)], spoil="upper"), "upper-case hex")


@check(
    "sig.asym_case_sensitive",
    "An RSA or Ed25519 signature with its letters' case swapped is refused with -1022.",
    "§1.2",
)
def asym_case(ctx: Context) -> None:
    _needs_type(ctx, "rsa", "ed25519")
    answer = ctx.get([("size", 1)], spoil="swapcase")
    ctx.expect_error(answer, errors.INVALID_SIGNATURE, what="case-swapped signature")


@check(
    "sig.tampered_payload",
    "A parameter changed after signing makes the signature invalid: -1022, HTTP 400.",
    "§1.2, F17",
)
def tampered(ctx: Context) -> None:
    answer = ctx.get([("size", 1)], tamper=("size=1", "size=2"))
    ctx.expect_error(answer, errors.INVALID_SIGNATURE, what="tampered payload")


@check("sig.wrong_key", "A signature made with another secret is refused with -1022.", "§1.2")
def wrong_key(ctx: Context) -> None:
    answer = ctx.get([("size", 1)], spoil="other_secret")
    ctx.expect_error(answer, errors.INVALID_SIGNATURE, what="signature of another secret")


@check(
    "sig.missing",
    "A missing or empty signature is -1102 \"Mandatory parameter 'signature' ...\".",
    "F15",
)
def missing(ctx: Context) -> None:
    ts = ctx.now_ms()  # one payload, sent without a signature and with an empty one
    ctx.expect_error(
        ctx.get([("size", 1)], ts=ts, spoil="missing"),
        errors.MANDATORY_PARAM,
        "signature",
        what="no signature",
    )
    ctx.expect_error(
        ctx.get([("size", 1)], ts=ts, spoil="empty"),
        errors.MANDATORY_PARAM,
        "signature",
        what="empty signature",
    )


@check(
    "sig.position",
    "The signature pair may stand anywhere; the payload is the query without it (or: must be last).",
    "F14",
    decision="signature_position",
)
def position(ctx: Context) -> None:
    answer = ctx.get([("size", 1)], spoil="first")
    ctx.observe_accepted_or_refused(
        answer, "signature_position", "anywhere", "last", errors.INVALID_SIGNATURE, "a leading signature"
    )


# --- the API key (F16 steps 1-2, F17: HTTP 401) ---


@check(
    "key.missing", 'A request without X-MBX-APIKEY is -2014 "API-key format invalid.", HTTP 401.', "F16, F17"
)
def key_missing(ctx: Context) -> None:
    ctx.expect_error(ctx.get([("size", 1)], api_key=None), errors.BAD_API_KEY_FMT, what="no API key")


@check("key.malformed", "An API key with characters no key has is -2014, HTTP 401.", "F16, F27")
def key_malformed(ctx: Context) -> None:
    ctx.expect_error(ctx.get([("size", 1)], api_key="not-a-key!"), errors.BAD_API_KEY_FMT, what="bad key")


@check(
    "key.unknown",
    'A well-formed key the exchange does not know is -2015 "Invalid API-key, IP, or permissions...", 401.',
    "F16, F17",
)
def key_unknown(ctx: Context) -> None:
    fake = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(64))
    ctx.expect_error(ctx.get([("size", 1)], api_key=fake), errors.REJECTED_MBX_KEY, what="unknown key")


@check(
    "precedence.key_first",
    "The key is checked before anything else: unknown key, no timestamp, no signature is -2015.",
    "F16",
)
def key_first(ctx: Context) -> None:
    fake = "Z" * 64
    answer = ctx.target.signed_get([("size", 1)], ts=None, spoil="missing", api_key=fake)
    ctx.expect_error(answer, errors.REJECTED_MBX_KEY, what="unknown key and nothing else")


@check(
    "precedence.timestamp_before_signature",
    "An expired timestamp is reported before a bad signature: -1021, not -1022.",
    "F16",
)
def ts_before_sig(ctx: Context) -> None:
    answer = ctx.get([("size", 1)], ts=ctx.now_ms() - 120_000, spoil="zeros")
    ctx.expect_error(answer, errors.TIMESTAMP_OUTSIDE_WINDOW, what="old timestamp, bad signature")


@check(
    "precedence.signature_before_params",
    "A bad signature is reported before bad parameters: -1022 for size=101&type=BAD badly signed.",
    "F16",
)
def sig_before_params(ctx: Context) -> None:
    answer = ctx.get([("size", 101), ("type", "BAD")], spoil="zeros")
    ctx.expect_error(answer, errors.INVALID_SIGNATURE, what="bad signature, bad parameters")

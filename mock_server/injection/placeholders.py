"""What an injected error says when its rule gives no `args`: what the mock would say itself.

A catalog message with `%s` placeholders (-1003, -1102, -1104, -1127, -1130, -3065) was sent
with the placeholders as they are; a client that shows or parses the message then shows a
literal `%s`. The values here are the mock's own for the call: its weight limit for the
counter the path spends, the endpoint's parameter, its 30-day window, the asset sent.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from mock_server.endpoints.declaration import Endpoint, Security
from mock_server.rules import errors
from mock_server.rules.errors import ErrorSpec
from mock_server.rules.fidelity import MAX_WINDOW_MS
from mock_server.rules.security import SECURITY_PARAMS
from mock_server.state.weights import Weights

HOUR_MS = 3_600_000
DELISTED_ASSET = "LUNA"  # the docs' own example, when the call names no asset


def weight_limit(endpoint: Endpoint, weights: Weights) -> int:
    """The per-minute limit of the counter this endpoint spends (F18)."""
    if not endpoint.path.startswith("/sapi/"):
        return weights.api_ip.limit
    return (weights.sapi_uid if endpoint.weight_kind == "UID" else weights.sapi_ip).limit


def _parameter(endpoint: Endpoint, sent: Mapping[str, str], mandatory: bool = False) -> str:
    declared = [p.name for p in endpoint.params if p.required or not mandatory]
    named = declared or [n for n in sent if n not in SECURITY_PARAMS]
    if named:
        return named[0]
    # Nothing declared or sent: a signed call always sends timestamp; others at least a symbol.
    return "timestamp" if endpoint.security is Security.SIGNED else "symbol"


def default_args(
    spec: ErrorSpec, endpoint: Endpoint, sent: Mapping[str, str], weights: Weights
) -> tuple[str, ...]:
    """The values for `spec`'s placeholders at this call; () for a message without any."""
    code = spec.code
    if "%s" not in spec.template:
        return ()
    if code == errors.TOO_MUCH_WEIGHT.code:
        return (str(weight_limit(endpoint, weights)), "1 MINUTE")
    if code == errors.INVALID_PARAMETER.code:
        return (_parameter(endpoint, sent),)
    if code == errors.MANDATORY_PARAM.code:
        return (_parameter(endpoint, sent, mandatory=True),)
    if code == errors.MORE_THAN_HOURS.code:
        return (str(MAX_WINDOW_MS // HOUR_MS),)
    if code == errors.UNREAD_PARAMETERS.code:
        count = max(len(sent), 1)
        return (str(count - 1), str(count))
    if code == errors.PREPAREDELIST_CANT_TRANSFER_IN.code:
        asset = sent.get("asset") or DELISTED_ASSET
        return (asset, "0", asset)
    return ()


def filler(
    endpoint: Endpoint, sent: Mapping[str, str], weights: Weights
) -> Callable[[ErrorSpec], tuple[str, ...]]:
    """`default_args` bound to one call, asked only when a rule without args fires."""
    return lambda spec: default_args(spec, endpoint, sent, weights)

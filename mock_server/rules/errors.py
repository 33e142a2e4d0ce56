"""The one catalog of Binance errors: code, HTTP status, message template.

Messages are Binance's own wording (docs/fidelity.md §3); HTTP statuses follow decision F17.
A new Binance error is one line here. The contract suite reads the same constants,
so the facts are shared but the code paths that decide behaviour are not.
"""

from __future__ import annotations

import json
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ErrorSpec:
    code: int
    name: str
    status: int
    template: str

    def format(self, *args: object) -> str:
        if not args:
            return self.template
        try:
            return self.template % tuple(str(a) for a in args)
        except (TypeError, ValueError):
            # Wrong number of args from a user's fault rule: show the template
            # rather than fail the request.
            return self.template


def _e(code: int, name: str, template: str, status: int = 400) -> ErrorSpec:
    return ErrorSpec(code, name, status, template)


# --- messages used by the mock's own checks (named, so tests assert on them) ---
UNKNOWN = _e(-1000, "UNKNOWN", "An unknown error occurred while processing the request.", 500)
DISCONNECTED = _e(
    -1001, "DISCONNECTED", "Internal error; unable to process your request. Please try again.", 503
)
UNAUTHORIZED = _e(-1002, "UNAUTHORIZED", "You are not authorized to execute this request.", 401)
TOO_MUCH_WEIGHT = _e(
    -1003,
    "TOO_MANY_REQUESTS",
    "Too much request weight used; current limit is %s request weight per %s. "
    "Please use WebSocket Streams for live updates to avoid polling the API.",
    429,
)
SERVER_BUSY = _e(-1004, "SERVER_BUSY", "Server is busy, please wait and try again", 503)
BACKEND_TIMEOUT = _e(
    -1007,
    "TIMEOUT",
    "Timeout waiting for response from backend server. Send status unknown; execution status unknown.",
    503,
)
TIMESTAMP_OUTSIDE_WINDOW = _e(
    -1021, "INVALID_TIMESTAMP", "Timestamp for this request is outside of the recvWindow."
)
TIMESTAMP_AHEAD = _e(
    -1021, "INVALID_TIMESTAMP", "Timestamp for this request was 1000ms ahead of the server's time."
)
INVALID_SIGNATURE = _e(-1022, "INVALID_SIGNATURE", "Signature for this request is not valid.")
NOT_FOUND = _e(-1099, "NOT_FOUND", "Not found, authenticated, or authorized", 404)
# F36: replay (--cassette) of a request that was never recorded; ours, not Binance's wording.
CASSETTE_MISS = _e(-1099, "CASSETTE_MISS", "No recorded response for %s; %s", 404)
# F41: a recording proxy (--record-mode new|all) whose upstream did not answer; ours, with the
# codes Binance gives its own backend's timeout and disconnection, and a gateway's status.
UPSTREAM_TIMEOUT = _e(
    -1007, "TIMEOUT", "Timeout waiting for response from upstream %s after %s s; nothing was recorded.", 504
)
UPSTREAM_UNREACHABLE = _e(
    -1001, "DISCONNECTED", "Upstream %s is unreachable (%s); nothing was recorded.", 502
)
ILLEGAL_CHARS = _e(-1100, "ILLEGAL_CHARS", "Illegal characters found in a parameter.")
ILLEGAL_CHARS_PARAM = _e(
    -1100, "ILLEGAL_CHARS", "Illegal characters found in parameter '%s'; legal range is '%s'."
)
DUPLICATE_PARAM = _e(-1101, "TOO_MANY_PARAMETERS", "Duplicate values for a parameter detected.")
TOO_MANY_PARAMETERS = _e(-1101, "TOO_MANY_PARAMETERS", "Too many parameters sent for this endpoint.")
MANDATORY_PARAM = _e(
    -1102,
    "MANDATORY_PARAM_EMPTY_OR_MALFORMED",
    "Mandatory parameter '%s' was not sent, was empty/null, or malformed.",
)
UNREAD_PARAMETERS = _e(
    -1104, "UNREAD_PARAMETERS", "Not all sent parameters were read; read '%s' parameter(s) but was sent '%s'."
)
BAD_INTERVAL = _e(-1120, "BAD_INTERVAL", "Invalid interval.")
BAD_SYMBOL = _e(-1121, "BAD_SYMBOL", "Invalid symbol.")
INVALID_LISTEN_KEY = _e(-1125, "INVALID_LISTEN_KEY", "This listenKey does not exist.")
# The margin listenToken page gives the code only: the name and message are the mock's (F87).
INVALID_LISTEN_TOKEN = _e(-1209, "INVALID_LISTEN_TOKEN", "Invalid listenToken.")
OPTIONAL_PARAMS_BAD_COMBO = _e(
    -1128, "OPTIONAL_PARAMS_BAD_COMBO", "Combination of optional parameters invalid."
)
SYMBOL_AND_SYMBOLS = _e(
    -1128, "OPTIONAL_PARAMS_BAD_COMBO",
    "Combination of optional parameters invalid. Recommendation: 'symbol' and 'symbols' cannot both be sent.",
)  # fmt: skip
ONE_OF_TWO = _e(
    -1102, "MANDATORY_PARAM_EMPTY_OR_MALFORMED", "Param '%s' or '%s' must be sent, but both were empty/null!"
)
TOO_MANY_VALUES = _e(
    -1101, "TOO_MANY_PARAMETERS", "Too many values sent for parameter '%s', maximum allowed up to %s."
)
INVALID_SYMBOL_STATUS = _e(-1122, "INVALID_SYMBOLSTATUS", "Invalid symbolStatus.")
INVALID_TICKER_TYPE = _e(-1139, "INVALID_TICKER_TYPE", "Invalid ticker type.")
DUPLICATE_SYMBOLS = _e(-1151, "DUPLICATE_SYMBOLS", "Symbol is present multiple times in the list.")
MORE_THAN_HOURS = _e(-1127, "MORE_THAN_XX_HOURS", "More than %s hours between startTime and endTime.")
INVALID_PARAMETER = _e(-1130, "INVALID_PARAMETER", "Data sent for parameter '%s' is not valid.")
BAD_RECV_WINDOW = _e(-1131, "BAD_RECV_WINDOW", "recvWindow must be less than 60000")
BAD_API_KEY_FMT = _e(-2014, "BAD_API_KEY_FMT", "API-key format invalid.", 401)
INSUFFICIENT_BALANCE = _e(
    -2010, "NEW_ORDER_REJECTED", "Account has insufficient balance for requested action."
)
# Orders (docs/orders-facts.md): -2010 and -2011 carry the matching engine's message.
FILTER_FAILURE = _e(-1013, "INVALID_MESSAGE", "Filter failure: %s")
UNKNOWN_ORDER_COMPOSITION = _e(-1014, "UNKNOWN_ORDER_COMPOSITION", "Unsupported order combination.")
TOO_MANY_ORDERS = _e(-1015, "TOO_MANY_ORDERS", "Too many new orders; current limit is %s orders per %s.", 429)
PARAM_NOT_REQUIRED = _e(-1106, "PARAM_NOT_REQUIRED", "Parameter '%s' sent when not required.")
BAD_PRECISION = _e(-1111, "BAD_PRECISION", "Parameter '%s' has too much precision.")
TIF_NOT_REQUIRED = _e(-1114, "TIF_NOT_REQUIRED", "TimeInForce parameter sent when not required.")
INVALID_TIF = _e(-1115, "INVALID_TIF", "Invalid timeInForce.")
INVALID_ORDER_TYPE = _e(-1116, "INVALID_ORDER_TYPE", "Invalid orderType.")
INVALID_SIDE = _e(-1117, "INVALID_SIDE", "Invalid side.")
INVALID_CANCEL_RESTRICTIONS = _e(-1145, "INVALID_CANCEL_RESTRICTIONS", "Invalid cancelRestrictions")
WOULD_TAKE = _e(-2010, "NEW_ORDER_REJECTED", "Order would immediately match and take.")
WOULD_TRIGGER = _e(-2010, "NEW_ORDER_REJECTED", "Order would trigger immediately.")
DUPLICATE_ORDER = _e(-2010, "NEW_ORDER_REJECTED", "Duplicate order sent.")
UNKNOWN_ORDER = _e(-2011, "CANCEL_REJECTED", "Unknown order sent.")
CANCEL_RESTRICTED = _e(-2011, "CANCEL_REJECTED", "Order was not canceled due to cancel restrictions.")
NO_SUCH_ORDER = _e(-2013, "NO_SUCH_ORDER", "Order does not exist.")
SUBSCRIPTION_ACTIVE = _e(-2035, "SUBSCRIPTION_ACTIVE", "User Data Stream subscription already active.")
SUBSCRIPTION_INACTIVE = _e(-2036, "SUBSCRIPTION_INACTIVE", "User Data Stream subscription not active.")
TOO_MANY_SUBSCRIPTIONS = _e(
    -1191,
    "TOO_MANY_SUBSCRIPTIONS",
    "Too many subscriptions. Connection may create up to '%s' subscriptions at a time.",
)
CANCEL_REPLACE_PARTIAL = _e(
    -2021, "ORDER_CANCEL_REPLACE_PARTIALLY_FAILED", "Order cancel-replace partially failed.", 409
)
CANCEL_REPLACE_FAILED = _e(-2022, "ORDER_CANCEL_REPLACE_FAILED", "Order cancel-replace failed.")
REJECTED_MBX_KEY = _e(-2015, "REJECTED_MBX_KEY", "Invalid API-key, IP, or permissions for action.", 401)
INNER_FAILURE = _e(-3000, "INNER_FAILURE", "Internal server error.")
NO_MARGIN_ACCOUNT = _e(-3003, "NO_OPENED_MARGIN_ACCOUNT", "Margin account does not exist.")
BAD_DATE_RANGE = _e(-3011, "BAD_DATE_RANGE", "Your input date is invalid.")
EXCEED_MAX_ROLLOUT = _e(-3020, "EXCEED_MAX_ROLLOUT", "Transfer out amount exceeds max amount.")
EXCEED_MAX_BORROWABLE = _e(
    -3006, "EXCEED_MAX_BORROWABLE", "Your borrow amount has exceed maximum borrow amount."
)
REPAY_EXCEEDS_BORROW = _e(-3015, "REPAY_EXCEED_LIABILITY", "Repay amount exceeds borrow amount.")
BALANCE_NOT_ENOUGH = _e(-3041, "BALANCE_NOT_CLEARED", "Balance is not enough")
NOT_ENOUGH_INVENTORY = _e(-3045, "SYSTEM_LACK_OF_ASSET", "The system doesn't have enough asset now.")
TRANSFER_INSUFFICIENT = _e(-5013, "ASSET_TRANSFER_FAIL", "Asset transfer failed: insufficient balance")
INVALID_EFFECTIVE_TIME = _e(-3025, "INVALID_EFFECTIVE_TIME", "Your input date is invalid.")
VALIDATION_FAILED = _e(-3026, "VALIDATION_FAILED", "Your input param is invalid.")
NOT_VALID_MARGIN_ASSET = _e(-3027, "NOT_VALID_MARGIN_ASSET", "Not a valid margin asset.")
NOT_VALID_MARGIN_PAIR = _e(-3028, "NOT_VALID_MARGIN_PAIR", "Not a valid margin pair.")
SYSTEM_BUSY = _e(-3044, "SYSTEM_BUSY", "System busy.")
PREPAREDELIST_CANT_TRANSFER_IN = _e(
    -3065,
    "PREPAREDELIST_CANT_TRANSFER_IN",
    "%s has been scheduled for delisting. You may only transfer up to %s %s, "
    "which is the amount of liabilities less any collateral already available.",
)
ISOLATED_ACCOUNT_MISSING = _e(-11001, "ISOLATED_ACCOUNT_NOT_EXIST", "Isolated margin account does not exist.")
NET_ASSET_MUST_LTE_RATIO = _e(-21003, "NET_ASSET_MUST_LTE_RATIO", "Fail to retrieve margin assets.")

# The default message for each code, used when a fault rule names only a code.
# Where a code has several messages, the first one listed above wins.
CATALOG: dict[int, ErrorSpec] = {}
for _spec in list(globals().values()):
    if isinstance(_spec, ErrorSpec):
        CATALOG.setdefault(_spec.code, _spec)


def status_for(code: int) -> int:
    """HTTP status for any code, catalogued or not (F17)."""
    spec = CATALOG.get(code)
    if spec is not None:
        return spec.status
    if code in (-2014, -2015):
        return 401
    return 400


def error_body(code: int, msg: str, data: object = None) -> bytes:
    """The body of every Binance error answer (`data`: what a cancel-replace did, beside it)."""
    body: dict[str, object] = {"code": code, "msg": msg}
    if data is not None:
        body["data"] = data
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


class BinanceError(Exception):
    """A Binance error answer: rendered as {"code": ..., "msg": ...} with its HTTP status."""

    def __init__(
        self, spec: ErrorSpec, *args: object, status: int | None = None, msg: str | None = None,
        data: object = None, keeps_changes: bool = False,
    ):  # fmt: skip
        self.spec = spec
        self.data = data  # beside code and msg in the body (a cancel-replace's results)
        self.keeps_changes = keeps_changes  # a write that refuses after changes that stand
        self.code = spec.code
        self.msg = msg if msg is not None else spec.format(*args)
        self.status = status if status is not None else spec.status
        super().__init__(f"{self.code} {self.msg}")

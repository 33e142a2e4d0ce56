"""The facts the suite checks against: codes and messages from the mock's catalog, numbers from
the fidelity module, and the response vocabulary from Binance's page.

Only *facts* are imported: error specs and constants. Nothing here decides how a
request is answered; the checks derive every expected answer themselves.
"""

from __future__ import annotations

from mock_server.rules import errors
from mock_server.rules.errors import ErrorSpec
from mock_server.rules.fidelity import (
    DAY_MS,
    DEFAULT_RECV_WINDOW_MS,
    DEFAULT_SIZE,
    DEFAULT_WINDOW_MS,
    FUTURE_TOLERANCE_MS,
    LONG_LEGAL_RANGE,
    MAX_RECV_WINDOW_MS,
    MAX_SIZE,
    MAX_WINDOW_MS,
    Profile,
)

# Binance's documented example pair (docs/fidelity.md, "The demo account"): public, so a
# safe default for a contract run against the mock.
from mock_server.state.accounts import DEMO_API_KEY, DEMO_SECRET, mask_key

__all__ = [
    "DAY_MS",
    "DEFAULT_RECV_WINDOW_MS",
    "DEFAULT_SIZE",
    "DEFAULT_WINDOW_MS",
    "DEMO_API_KEY",
    "DEMO_SECRET",
    "FUTURE_TOLERANCE_MS",
    "LONG_LEGAL_RANGE",
    "MAX_RECV_WINDOW_MS",
    "MAX_SIZE",
    "MAX_WINDOW_MS",
    "ErrorSpec",
    "Profile",
    "errors",
    "mask_key",
]

# The page's response example and docs/fidelity.md §5.2 (written from the page, not from the mock's ledger).
ROW_REQUIRED = ("amount", "asset", "status", "timestamp", "txId", "type")
ROW_OPTIONAL = ("transFrom", "transTo", "fromSymbol", "toSymbol")
TYPES = ("ROLL_IN", "ROLL_OUT")
STATUSES = ("CONFIRMED", "PENDING", "FAILED")  # docs/fidelity.md §5.2, by analogy with sibling endpoints
WALLETS = (
    "SPOT", "FUTURES", "FIAT", "DELIVERY", "MINING", "ISOLATED_MARGIN", "FUNDING", "MOTHER_SPOT",
    "OPTION", "SUB_SPOT", "SUB_MARGIN", "CROSS_MARGIN",
)  # fmt: skip
AMOUNT_PATTERN = r"^[0-9]+\.[0-9]{8}$"  # F26
SAPI_MEDIA_TYPE = "application/json"  # F19
WINDOW_HOURS = MAX_WINDOW_MS // 3_600_000  # the 720 of -1127's message (F7)

# Which decision of docs/fidelity.md §11 each Profile field is: named in reports and profiles.
DECISION_REF = {
    "row_timestamp_unit": "F1",
    "empty_rows": "F2",
    "size_over_max": "F3",
    "below_min": "F4",
    "missing_end": "F6",
    "window_too_long": "F7",
    "start_after_end": "F8",
    "bad_type": "F9",
    "unknown_param": "F12",
    "unknown_isolated_symbol": "F13",
    "signature_position": "F14",
    "microsecond_timestamp": "F20",
    "bad_enum": "F38",
    "market_combination": "F43",
    "market_limit_over_max": "F44",
    "market_bad_window": "F45",
    "resting_fill": "F61",
}

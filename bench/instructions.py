"""N signed size-100 calls of `Exchange.handle`, for counting instructions (no HTTP, no clock noise).

    valgrind --tool=callgrind --callgrind-out-file=/dev/null .venv/bin/python bench/instructions.py 3000
    valgrind --tool=callgrind --callgrind-out-file=/dev/null .venv/bin/python bench/instructions.py 0

The difference of the two "Collected" figures divided by 3000 is the cost of one request,
the same from run to run whatever else the machine is doing (docs/performance.md).
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mock_server.exchange import Exchange, Settings
from mock_server.exchange.wire import Call
from mock_server.rules.security import sign_hmac
from mock_server.state.accounts import DEMO_API_KEY, DEMO_SECRET


def main() -> None:
    exchange = Exchange(Settings(sapi_weight_limit=10**9))
    payload = f"size=100&timestamp={exchange.clock.now_ms()}&recvWindow=60000".encode()
    query = payload + b"&signature=" + sign_hmac(DEMO_SECRET, payload).encode()
    call = Call("GET", "/sapi/v1/margin/transfer", query, b"", DEMO_API_KEY, "127.0.0.1")
    for _ in range(int(sys.argv[1]) if len(sys.argv) > 1 else 1000):
        exchange.handle(call)


if __name__ == "__main__":
    main()

"""Where the exchange spends its time on one signed full-page request (cProfile, no HTTP).

.venv/bin/python bench/profile_exchange.py
"""

from __future__ import annotations

import cProfile
import pstats
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.run import ANCHOR, signed
from mock_server.exchange import Exchange, Settings
from mock_server.exchange.wire import Call
from mock_server.state.accounts import DEMO_API_KEY
from mock_server.state.clock import Clock


def main() -> None:
    clock = Clock()
    clock.freeze(ANCHOR)
    ex = Exchange(Settings(anchor_ms=ANCHOR, sapi_weight_limit=10**12), clock=clock)
    call = Call("GET", "/sapi/v1/margin/transfer", signed({"size": 100}).encode(), b"", DEMO_API_KEY)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(5000):
        ex.handle(call)
    profiler.disable()
    pstats.Stats(profiler).sort_stats("tottime").print_stats(15)


if __name__ == "__main__":
    main()

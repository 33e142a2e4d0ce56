"""The mock as the stream benchmarks run it (bench/streams.py): `binance-mock serve` with its
arguments, plus one probe. For each event of a stream named in BENCH_STAMP (comma-separated),
the hub's fan-out writes `<trade id> <E> <wall time in ns>` to BENCH_STAMP_FILE as it starts (before
encoding the event and handing it to the first subscriber): the instant "the hub made it" that a
subscriber's receipt is measured from. One line-buffered write per stamped event; nothing else
differs from `binance-mock serve`.
"""

from __future__ import annotations

import os
import resource
import sys
import time
from pathlib import Path
from typing import Any

# BENCH_MOCK_ROOT: another checkout's mock_server (a change's "before", bench/streams.py --before).
sys.path.insert(0, os.environ.get("BENCH_MOCK_ROOT") or str(Path(__file__).resolve().parent.parent))

from mock_server.cli import main
from mock_server.streams.hub import Hub


def _stamp(names: frozenset[str], path: str) -> None:
    out = open(path, "a", buffering=1)  # noqa: SIM115 - open for the life of the process
    fan = Hub._fan

    def _fan(self: Hub, name: str, event: Any) -> int:
        if name in names:
            out.write(f"{event.get('t')} {event.get('E')} {time.time_ns()}\n")
        return fan(self, name, event)

    Hub._fan = _fan  # type: ignore[method-assign]


if __name__ == "__main__":
    # A thousand subscribers need a thousand descriptors.
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if os.environ.get("BENCH_STAMP"):
        _stamp(frozenset(os.environ["BENCH_STAMP"].split(",")), os.environ["BENCH_STAMP_FILE"])
    sys.exit(main(["serve", *sys.argv[1:]]))

"""Diff depth events made and encoded, no server: the CPU of one `btcusdt@depth@100ms` event.

    .venv/bin/python bench/depth_events.py [N] [--before <a worktree of the commit before>]

A market at the tests' instant (seed 7), one subscriber of `btcusdt@depth@100ms` on the hub
(raw frames), the clock stepped 100 ms and the hub ticked N times (default 40). The stream sends
when the book changed (each second and each trade: 14 events in 100 ticks), each event the whole
book (F76), encoded once as the hub encodes it; the ticks without an event (each still reads a
book) count in the cost. It prints the events, their mean size, the CPU per event (process time,
best of three rounds) and the CPU of one GET /api/v3/depth?limit=5000. With `--before`, the same
runs in a subprocess on that tree first, and both lines are printed side by side.

For counting instructions (repeatable on a shared machine), N ticks minus 0, divided by the
events N ticks make (14 for 100); `--tree <checkout>` runs another checkout's mock_server (the
script itself may be a copy outside it, for a commit that predates it):

    valgrind --tool=callgrind --callgrind-out-file=/dev/null .venv/bin/python bench/depth_events.py 100 --once [--tree T]
    valgrind --tool=callgrind --callgrind-out-file=/dev/null .venv/bin/python bench/depth_events.py 0 --once [--tree T]
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
NOW = 1_790_000_000_000
NAME = "btcusdt@depth@100ms"


class _Sink:
    combined = False
    micro = False
    due_ms = 0

    def __init__(self) -> None:
        self.frames = 0
        self.bytes = 0

    def deliver(self, frame: str) -> None:
        self.frames += 1
        self.bytes += len(frame)

    def tick(self, now_ms: int) -> None:
        pass


def run(n: int) -> tuple[int, int, float]:
    """Events, bytes, process seconds for n ticks of 100 ms."""
    from mock_server.exchange import Exchange, Settings
    from mock_server.state.clock import Clock
    from mock_server.streams.names import parse

    clock = Clock()
    clock.freeze(NOW)
    ex = Exchange(Settings(anchor_ms=NOW, rows=20, seed=7, api_weight_limit=10**9), clock=clock)
    sink = _Sink()
    ex.streams.subscribe(sink, NAME, parse(NAME))
    started = time.process_time()
    for _ in range(n):
        ex.advance_clock(100)
        ex.streams.tick()
    return sink.frames, sink.bytes, time.process_time() - started


def rest(n: int) -> float:
    """Process seconds of one GET /api/v3/depth?limit=5000, each at a second of its own (no book
    remembered), through Exchange.handle."""
    from mock_server.exchange import Exchange, Settings
    from mock_server.exchange.wire import Call
    from mock_server.state.clock import Clock

    clock = Clock()
    clock.freeze(NOW)
    ex = Exchange(Settings(anchor_ms=NOW, rows=20, seed=7, api_weight_limit=10**9), clock=clock)
    call = Call("GET", "/api/v3/depth", b"symbol=BTCUSDT&limit=5000", b"", "", "127.0.0.1")
    spent = 0.0
    for _ in range(n):
        ex.advance_clock(1_000)
        started = time.process_time()
        ex.handle(call)
        spent += time.process_time() - started
    return spent / max(n, 1)


def line(tree: Path, n: int) -> str:
    best = None
    for _ in range(3):
        frames, size, cpu = run(n)
        best = cpu if best is None else min(best, cpu)
    assert best is not None
    per = best / max(frames, 1) * 1000
    depth = min(rest(20) for _ in range(3)) * 1000
    return (
        f"{tree}: {frames} events, {size / max(frames, 1) / 1000:.0f} kB each, {per:.1f} ms CPU an event; "
        f"GET /api/v3/depth?limit=5000 {depth:.1f} ms"
    )


def main() -> None:
    args = sys.argv[1:]
    n = int(args[0]) if args and args[0].isdigit() else 40
    tree = Path(args[args.index("--tree") + 1]).resolve() if "--tree" in args else HERE
    sys.path.insert(0, str(tree))
    if "--once" in args:
        run(n)
        return
    if "--before" in args:
        before = Path(args[args.index("--before") + 1]).resolve()
        env = {**os.environ, "PYTHONPATH": str(before)}
        cmd = [sys.executable, __file__, str(n), "--tree", str(before)]
        out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
        print(out.stdout.strip(), "(before)")
    print(line(tree, n), "(this tree)" if tree == HERE else "")


if __name__ == "__main__":
    main()

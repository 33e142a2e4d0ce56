"""Diff depth events made and encoded, no server: the CPU of one `btcusdt@depth@100ms` event.

    .venv/bin/python bench/depth_events.py [N] [--before <a worktree of the commit before>]

A market at the tests' instant (seed 7), one subscriber of `btcusdt@depth@100ms` on the hub
(raw frames), the clock stepped 100 ms and the hub ticked N times (default 40): every tick
makes one event (the book moves each second and at each trade, and each event carries the
whole book, F76), encoded once as the hub encodes it. It prints the events, their mean size and
the CPU per event (process time, best of three rounds). With `--before`, the same runs in a
subprocess on that tree first, and both lines are printed side by side.

For counting instructions (repeatable on a shared machine), N events minus 0:

    valgrind --tool=callgrind --callgrind-out-file=/dev/null .venv/bin/python bench/depth_events.py 40 --once
    valgrind --tool=callgrind --callgrind-out-file=/dev/null .venv/bin/python bench/depth_events.py 0 --once
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


def line(tree: Path, n: int) -> str:
    best = None
    for _ in range(3):
        frames, size, cpu = run(n)
        best = cpu if best is None else min(best, cpu)
    assert best is not None
    per = best / max(frames, 1) * 1000
    return f"{tree}: {frames} events, {size / max(frames, 1) / 1000:.0f} kB each, {per:.1f} ms CPU an event"


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

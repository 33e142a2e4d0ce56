"""`make profile`: where a request's time goes with the server busy.

Starts `binance-mock serve` pinned to one core (bench/run.py's helpers), loads it with wrk
from the other (the signed
size-100 page, as `make bench` does), and attaches py-spy for the length of the load. Writes
`profile/server.folded` (folded stacks: one line per stack and its sample count, for any flame
graph tool), `profile/server.svg` (py-spy's own flame graph) and prints the top 20 functions by
self and by total samples. The clock is frozen, as in make bench, so the one signed URL stays
inside recvWindow; every request is still verified in full.

    .venv/bin/python bench/profile_server.py [SECONDS]
"""

from __future__ import annotations

import collections
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from run import ROOT, _free_port, frozen_scenario, mock_cmd, server, signed, wrk

OUT = ROOT / "profile"


def _spy(pid: int, seconds: int, fmt: str, path: Path) -> subprocess.Popen[bytes]:
    cmd = ["py-spy", "record", "--pid", str(pid), "--duration", str(seconds), "--rate", "250",
           "--format", fmt, "--output", str(path), "--nonblocking"]  # fmt: skip
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _table(folded: Path, top: int = 20) -> str:
    own: collections.Counter[str] = collections.Counter()
    total: collections.Counter[str] = collections.Counter()
    samples = 0
    for line in folded.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        n = int(count)
        samples += n
        frames = stack.split(";")
        own[frames[-1]] += n
        for frame in set(frames):
            total[frame] += n
    rows = [f"{samples} samples", "", "| self | function |", "|---|---|"]
    rows += [f"| {n / samples:.1%} | `{f}` |" for f, n in own.most_common(top)]
    rows += ["", "| total | function |", "|---|---|"]
    rows += [f"| {n / samples:.1%} | `{f}` |" for f, n in total.most_common(top)]
    return "\n".join(rows)


def main() -> int:
    seconds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    OUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as d:
        port = _free_port()
        with server(
            mock_cmd(port, frozen_scenario(Path(d))), f"http://127.0.0.1:{port}/_mock/health"
        ) as proc:
            url = f"http://127.0.0.1:{port}/sapi/v1/margin/transfer?{signed({'size': 100})}"
            spies = [_spy(proc.pid, seconds, "raw", OUT / "server.folded"),
                     _spy(proc.pid, seconds, "flamegraph", OUT / "server.svg")]  # fmt: skip
            time.sleep(0.5)  # py-spy attaches
            load = wrk(url, seconds=seconds)
            for spy in spies:
                _, err = spy.communicate(timeout=60)
                if spy.returncode:
                    print(f"py-spy failed: {err.decode(errors='replace')[-500:]}", file=sys.stderr)
                    return 1
    report = _table(OUT / "server.folded")
    (OUT / "top.md").write_text(f"# {load.rps:,.0f} req/s under wrk while sampled\n\n{report}\n")
    print(f"{load.rps:,.0f} req/s under wrk while sampled; {OUT}/server.folded, server.svg, top.md\n")
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())

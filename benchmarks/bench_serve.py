"""Latency of the what-if service: from the POST of one edit to the answer (issue #19).

    python benchmarks/bench_serve.py              # mid scenario, default trials, 10 edits
    python benchmarks/bench_serve.py --edits 20   # more timed edits
    python benchmarks/bench_serve.py --smoke      # 2,000 trials, 3 edits, no verdict

Starts ``portfolio-sim serve`` on the mid scenario (``scenarios/digital-portfolio.yaml``)
in a child process on a free loopback port, exactly as a user does, warms it (first
forecast: kernel load, the base plan's forecast), then times each POST of one edit (the
data team's members, a different count each time, so every answer is a new forecast of
the edited plan; the base plan's answer is kept by the service) until its answer has
arrived, at the service's default trial count (10,000). Target: the median under 1 s on
2 cores, warm. Prints the median and the slowest with PASS or FAIL and the machine, like
``benchmarks/targets.py``.
"""

from __future__ import annotations

import argparse
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
MID = ROOT / "scenarios" / "digital-portfolio.yaml"
TARGET_S = 1.0


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    threads = os.environ.get("NUMBA_NUM_THREADS", "all")
    return f"{platform.system()} {cpu}, {os.cpu_count()} cpus, numba threads {threads}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--edits", type=int, default=10, help="timed edits (default 10)")
    p.add_argument("--trials", type=int, default=None, help="default: the service's (10000)")
    p.add_argument("--smoke", action="store_true", help="2,000 trials, 3 edits, no verdict")
    args = p.parse_args(argv)
    edits = 3 if args.smoke else args.edits
    port = free_port()
    cmd = [sys.executable, "-m", "portfolio_sim", "serve", str(MID), "--port", str(port)]
    if args.smoke:
        cmd += ["--trials", "2000"]
    elif args.trials:
        cmd += ["--trials", str(args.trials)]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=url, timeout=120) as client:
            deadline = time.monotonic() + 120
            while True:
                try:
                    client.get("/api/scenario").raise_for_status()
                    break
                except httpx.TransportError:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        raise SystemExit("the service did not start") from None
                    time.sleep(0.1)
            t0 = time.perf_counter()
            client.post("/api/forecast", json={"edits": []}).raise_for_status()
            warmup = time.perf_counter() - t0
            times = []
            for k in range(edits):
                edit = {"kind": "team", "id": "data", "field": "members", "value": 6 + k}
                t0 = time.perf_counter()
                r = client.post("/api/forecast", json={"edits": [edit]})
                r.raise_for_status()
                times.append(time.perf_counter() - t0)
            trials = r.json()["edited"]["trials"]
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    median = statistics.median(times)
    verdict = "INFO" if args.smoke else ("PASS" if median < TARGET_S else "FAIL")
    print(f"machine: {machine()}")
    print(f"scenario: {MID.relative_to(ROOT)}, {trials:,} trials, {edits} edits")
    print(f"  warm-up (first answer, base plan): {warmup:.2f} s")
    print(
        f"  {verdict:<4}  edit -> answer, median under {TARGET_S:.1f} s (warm)"
        f"    median {median:.3f} s, slowest {max(times):.3f} s"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

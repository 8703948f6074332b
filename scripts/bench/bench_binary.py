"""The single executable (`make dist`): size, first and later start-up to /api/health, idle RSS.

Runs the file copied alone into an empty folder with an environment holding only HOME (a fresh
one, so the first start unpacks into an empty cache), beside the source install for comparison,
and prints the load average with the figures. Builds the file first when dist/ has none for
this version and machine (or with --build).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts" / "bench"))
sys.path.insert(0, str(ROOT / "scripts" / "dist"))

import make_dist  # noqa: E402
from bench_startup import timed_start  # noqa: E402

RUNS = 5
TARGET_READY_S = 1.5
TARGET_RSS_MB = 70
TARGET_SIZE_MB = 80


def load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def executable(force: bool) -> Path:
    path = ROOT / "dist" / f"bookshelf-{make_dist.version()}-linux-{make_dist.arch()}"
    if force or not path.exists():
        started = time.monotonic()
        print(f"building {path.name} ({load()})", flush=True)
        make_dist.main([])
        print(f"build took {time.monotonic() - started:.0f} s ({load()})")
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", action="store_true", help="rebuild the executable first")
    parser.add_argument("--runs", type=int, default=RUNS)
    args = parser.parse_args()
    source = executable(args.build)
    size_mb = source.stat().st_size / 1e6
    with tempfile.TemporaryDirectory() as tmp:
        folder, home = Path(tmp) / "only", Path(tmp) / "home"
        folder.mkdir()
        home.mkdir()
        binary = folder / "bookshelf"
        shutil.copy2(source, binary)
        env = {"HOME": str(home)}
        started = time.monotonic()
        subprocess.run([str(binary), "--version"], env=env, check=True, capture_output=True)
        unpack = time.monotonic() - started
        started = time.monotonic()
        subprocess.run([str(binary), "--version"], env=env, check=True, capture_output=True)
        version_s = time.monotonic() - started
        timed_start(folder / "data", [str(binary)], env)  # creates the data folder and database
        timed_start(Path(tmp) / "source-data")
        binary_runs, source_runs = [], []
        for _ in range(args.runs):  # interleaved, so both see the same load
            binary_runs.append(timed_start(folder / "data", [str(binary)], env))
            source_runs.append(timed_start(Path(tmp) / "source-data"))
        print(load())
    ready = [r for r, _, _ in binary_runs]
    rss = [m for _, m, _ in binary_runs]
    print(f"size: {size_mb:.1f} MB (target <= {TARGET_SIZE_MB} MB)")
    print(f"first run (unpacks into the cache): --version in {unpack * 1000:.0f} ms; "
          f"later --version {version_s * 1000:.0f} ms")  # fmt: skip
    print(f"binary ready: median {statistics.median(ready) * 1000:.0f} ms, max {max(ready) * 1000:.0f} ms "
          f"over {args.runs} starts (target <= {TARGET_READY_S * 1000:.0f} ms)")  # fmt: skip
    print(
        f"binary idle RSS: median {statistics.median(rss):.1f} MB, max {max(rss):.1f} MB (target <= {TARGET_RSS_MB} MB)"
    )
    print(f"binary CPU until ready: median {statistics.median(c for _, _, c in binary_runs) * 1000:.0f} ms")
    source_ready = statistics.median(r for r, _, _ in source_runs)
    source_rss = statistics.median(m for _, m, _ in source_runs)
    source_cpu = statistics.median(c for _, _, c in source_runs)
    print(f"source install for comparison: ready median {source_ready * 1000:.0f} ms, CPU until ready "
          f"{source_cpu * 1000:.0f} ms, idle RSS {source_rss:.1f} MB")  # fmt: skip
    print(load())
    met = statistics.median(ready) <= TARGET_READY_S and max(rss) <= TARGET_RSS_MB and size_mb <= TARGET_SIZE_MB
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())

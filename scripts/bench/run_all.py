"""Run every benchmark in scripts/bench (bench_*.py, each with main()) and print their figures."""

from __future__ import annotations

import importlib.util
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    only = set(sys.argv[1:])
    failures = 0
    for path in sorted(HERE.glob("bench_*.py")):
        name = path.stem.removeprefix("bench_")
        if only and name not in only:
            continue
        print(f"\n=== {name} ===", flush=True)
        spec = importlib.util.spec_from_file_location(path.stem, path)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        started = time.monotonic()
        saved_argv = sys.argv
        sys.argv = [str(path)]  # each benchmark parses its own (default) arguments
        try:
            spec.loader.exec_module(module)
            result = module.main()
            if isinstance(result, int) and result != 0:
                failures += 1
        except SystemExit as exit_:
            if exit_.code not in (0, None):
                failures += 1
        except Exception:
            failures += 1
            traceback.print_exc()
        finally:
            sys.argv = saved_argv
        print(f"({name} took {time.monotonic() - started:.1f} s)", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.path.insert(0, str(HERE.parents[1]))
    raise SystemExit(main())

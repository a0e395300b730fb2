"""Run every benchmark, print one table and save it as JSON (``make bench``).

Each ``bench_*.py`` module here has a ``bench()`` function returning rows
(:class:`harness.Row`). The table is written to ``benchmarks/results.json``,
which the book's performance appendix reads, so building the book never
re-runs a benchmark.
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import json
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from harness import machine, mnist  # noqa: E402  (found through the path above)

#: In the order of the table.
MODULES = ["bench_network", "bench_train", "bench_conv", "bench_book", "bench_import"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--output",
        type=Path,
        default=None,
        help="where to write the table (default: results.json; with --only, results-partial.json)",
    )
    parser.add_argument("--only", nargs="*", help="run only these modules")
    args = parser.parse_args(argv)
    if args.output is None:
        # A partial run must not replace the full table that the book shows.
        args.output = HERE / ("results-partial.json" if args.only else "results.json")
    rows, timings = [], {}
    for name in MODULES:
        if args.only and name not in args.only:
            continue
        if not (HERE / f"{name}.py").is_file():
            print(f"(skipping {name}: not written yet)")
            continue
        start = time.perf_counter()
        module_rows = importlib.import_module(name).bench()
        timings[name] = round(time.perf_counter() - start, 1)
        rows += [row.as_dict() for row in module_rows]
        for row in module_rows:
            spread = f" [{row.low:.3g}, {row.high:.3g}]" if row.low is not None else ""
            mark = {True: "ok  ", False: "MISS", None: "    "}[row.meets_target]
            target = f"target {row.target}" if row.target else "(for comparison)"
            print(
                f"{mark} {row.name:<14} {row.value:>10.3g} {row.unit:<8}{spread:<22} {target:<16} {row.what}"
            )
    result = {
        "date": datetime.date.today().isoformat(),
        "machine": machine(),
        "mnist": mnist(),
        "seconds_per_module": timings,
        "rows": rows,
    }
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

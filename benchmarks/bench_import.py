"""How much does ``import nnbook`` cost over ``import numpy``?

Each import runs in a fresh interpreter (``python -c``), alternating the two,
so nothing is cached in the process. ``import nnbook`` itself loads no
submodule (not even NumPy), so the fair comparison is ``import numpy, nnbook``
against ``import numpy``: the figure is the median extra time.
"""

from __future__ import annotations

import statistics
import subprocess
import sys

from harness import Row, alternate


def _python(code: str):
    return lambda: subprocess.run([sys.executable, "-c", code], check=True)


def bench(repeats: int = 11) -> list[Row]:
    comparison = alternate(
        _python("import numpy, nnbook"), _python("import numpy"), repeats=repeats
    )
    extra = [a - b for a, b in zip(comparison.seconds_a, comparison.seconds_b)]
    q1, _, q3 = statistics.quantiles(extra, n=4, method="inclusive")
    return [
        Row(
            name="import",
            what="import numpy, nnbook minus import numpy (fresh interpreters)",
            value=statistics.median(extra),
            unit="s",
            target="<= 0.2",
            low=q1,
            high=q3,
            details={
                "seconds_nnbook_median": statistics.median(comparison.seconds_a),
                "seconds_numpy_median": statistics.median(comparison.seconds_b),
                "repeats": repeats,
            },
        )
    ]


if __name__ == "__main__":
    for row in bench():
        print(row.as_dict())

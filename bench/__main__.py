"""Run the benchmarks and print tables.

Each figure is printed beside a baseline measured in the same run on the same
machine, because this machine is shared and noisy: compare ratios, not seconds.

``python -m bench`` runs them all; ``python -m bench website collection`` (or
``XINYONG_BENCH_ONLY=website``) runs only the named ones.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from bench import collection, foundation, letters, screening, website

BENCHMARKS: dict[str, Callable[[], None]] = {
    "foundation": foundation.run,
    "collection": collection.run,
    "website": website.run,
    "letters": letters.run,
    "screening": screening.run,
}


def main(argv: list[str] | None = None) -> None:
    names = list(sys.argv[1:] if argv is None else argv)
    if not names and os.environ.get("XINYONG_BENCH_ONLY"):
        names = [n.strip() for n in os.environ["XINYONG_BENCH_ONLY"].split(",") if n.strip()]
    unknown = [n for n in names if n not in BENCHMARKS]
    if unknown:
        sys.exit(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
    print("# Xinyong benchmarks\n")
    for name in names or BENCHMARKS:
        BENCHMARKS[name]()


if __name__ == "__main__":
    main()

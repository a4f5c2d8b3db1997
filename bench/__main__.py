"""Run every benchmark and print a table.

Each figure is printed beside a baseline measured in the same run on the same
machine, because this machine is shared and noisy: compare ratios, not seconds.
"""

from __future__ import annotations

from bench import collection, foundation


def main() -> None:
    print("# Xinyong benchmarks\n")
    foundation.run()
    collection.run()


if __name__ == "__main__":
    main()

"""`make bench`: run every benchmark module and print each figure beside its target.

`python -m bench dashboard member_list` runs only the benchmarks named (bench/bench_dashboard.py, …).

A benchmark module is `bench/bench_<name>.py` with `run() -> list[Figure]`. Results are printed,
not asserted: record them in bench/RESULTS.md with the machine and the date.
"""

from __future__ import annotations

import importlib
import pkgutil
import platform
import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Figure:
    name: str
    measured: float
    target: float
    unit: str
    lower_is_better: bool = True

    @property
    def meets_target(self) -> bool:
        return self.measured <= self.target if self.lower_is_better else self.measured >= self.target


def main() -> int:
    modules = sorted(m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)]) if m.name.startswith("bench_"))
    if chosen := {f"bench_{name.removeprefix('bench_')}" for name in sys.argv[1:]}:
        if unknown := chosen - set(modules):
            print(f"No such benchmark: {', '.join(sorted(unknown))}")
            return 2
        modules = sorted(chosen)
    print(f"M-CRM benchmarks on {platform.node()} ({platform.machine()}, Python {platform.python_version()})")
    if not modules:
        print("No benchmarks yet: add bench/bench_<name>.py with run() -> list[Figure].")
        return 0
    print(f"{'figure':50} {'measured':>12} {'target':>12}  verdict")
    for name in modules:
        for figure in importlib.import_module(f"bench.{name}").run():
            verdict = "meets target" if figure.meets_target else "MISSES target"
            print(
                f"{figure.name:50} {figure.measured:>10.1f}{figure.unit:>2} {figure.target:>10.1f}{figure.unit:>2}  "
                f"{verdict}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())

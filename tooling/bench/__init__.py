"""``hub bench``: the hub's throughput beside the bare crypto-and-XML pipeline, the urgent
lane under a routine backlog, throughput as the log grows, and the worker's memory.

``run_bench(options, progress=print)`` runs the hub as real processes (``tooling.rig``) on
each stack and returns ``BenchFigures``; docs/performance.md explains the method.
"""

from tooling.bench.figures import BenchFigures, StackFigures, Targets, machine_description
from tooling.bench.options import BenchOptions, BenchRefused, Stack, quick_options
from tooling.bench.run import BENCH_ENV, run_bench

__all__ = [
    # Running
    "BENCH_ENV",
    "BenchOptions",
    "BenchRefused",
    "Stack",
    "quick_options",
    "run_bench",
    # Figures
    "BenchFigures",
    "StackFigures",
    "Targets",
    "machine_description",
]

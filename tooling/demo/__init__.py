"""``hub demo``: the whole path on the embedded stack, with real processes, keys and servers."""

from tooling.demo.run import run_demo

__all__ = ["run_demo"]

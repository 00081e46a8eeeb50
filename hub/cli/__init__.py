"""The ``hub`` command: run the hub, onboard partners, send and verify messages.

Each command parses its arguments, calls one library function and prints.
"""

from hub.cli.app import app, main

__all__ = ["app", "main"]

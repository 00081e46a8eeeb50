"""Errors of the adapters package beyond the delivery contract in ``adapters.base``.

::

    AdapterError
    └── UnknownAdapter       no adapter is registered for a partner code (also a ``KeyError``)

A native record or canonical message that does not translate raises ``TranslationError``,
which belongs to the canonical model (``schemas``). Messages name fields and codes, never
the personal data in them.
"""

__all__ = ["AdapterError", "UnknownAdapter"]


class AdapterError(Exception):
    """Base of the adapters package's own errors."""


class UnknownAdapter(AdapterError, KeyError):
    """No adapter is registered under this partner system code."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code

    def __str__(self) -> str:
        return f"no adapter is registered for partner system {self.code!r}"

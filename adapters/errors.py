"""Errors of the adapters package beyond the delivery contract in ``adapters.base``.

::

    AdapterError
    ├── TranslationError     a native record or canonical message cannot be mapped (names the field)
    └── UnknownAdapter       no adapter is registered for a partner code (also a ``KeyError``)

Messages name fields and codes, never the personal data in them.
"""

__all__ = ["AdapterError", "TranslationError", "UnknownAdapter"]


class AdapterError(Exception):
    """Base of the adapters package's own errors."""


class TranslationError(AdapterError, ValueError):
    """A record cannot be translated: a field is missing, malformed or carries an unknown code.

    Attributes:
        field: the path of the offending field, e.g. ``"children[1].birth_date"``.
        reason: what is wrong with it, without its value when that could be personal data.
    """

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class UnknownAdapter(AdapterError, KeyError):
    """No adapter is registered under this partner system code."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code

    def __str__(self) -> str:
        return f"no adapter is registered for partner system {self.code!r}"

"""Which adapter serves which partner system code.

A new agency is one folder under ``adapters/`` exporting ``ADAPTER`` plus one line here.
"""

from collections.abc import Mapping
from types import MappingProxyType

from adapters import education, employment, health, kdn, police, social
from adapters.base import Adapter
from adapters.errors import UnknownAdapter

__all__ = ["ADAPTERS", "get_adapter"]

ADAPTERS: Mapping[str, Adapter] = MappingProxyType(
    {
        adapter.code: adapter
        for adapter in (
            police.ADAPTER,
            social.ADAPTER,
            kdn.ADAPTER,
            employment.ADAPTER,
            education.ADAPTER,
            health.ADAPTER,
        )
    }
)


def get_adapter(code: str) -> Adapter:
    """The adapter of partner system ``code``.

    Raises:
        UnknownAdapter: no adapter is registered for ``code`` (a ``KeyError``).
    """
    try:
        return ADAPTERS[code]
    except KeyError:
        raise UnknownAdapter(code) from None

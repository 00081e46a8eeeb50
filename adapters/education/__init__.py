"""The education adapter: schools and the education department, exchanging CSV files.

A school's system has no API: it reads and writes ``;``-separated CSV files in an exchange
folder. The hub pushes by writing into the school's ``outbox/`` (``EducationTransport``);
the school side runs ``InboundGateway``, which sends what the school drops in ``inbox/``.
"""

from adapters.base import Adapter
from adapters.education.folders import ExchangeFolder
from adapters.education.gateway import FileOutcome, InboundGateway, SentMessage
from adapters.education.rows import RowError
from adapters.education.transport import EducationTransport

# Grouped by concept (CONTRIBUTING.md), not alphabetically.
__all__ = [
    # Registration
    "ADAPTER",
    # Hub side
    "EducationTransport",
    # School side
    "ExchangeFolder",
    "FileOutcome",
    "InboundGateway",
    "SentMessage",
    # Errors
    "RowError",
]

ADAPTER = Adapter(
    code="education",
    delivery_mode="push",
    make_transport=EducationTransport.connect,
    # The school's exchange folder: file:///<root>/<school>[?encoding=cp1251].
    endpoint_schemes=("file",),
)

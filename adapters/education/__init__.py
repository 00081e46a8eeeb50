"""The education adapter: schools and the education department, exchanging CSV files.

A school's system has no API: it reads and writes ``;``-separated CSV files in an exchange
folder. The hub's copies are written into the school's ``outbox/`` (``EducationTransport``);
what the school drops in ``inbox/`` is sent by ``gateway.InboundGateway``, which the
school's gateway (``adapters.gateway.education``) runs.
"""

from adapters.base import Adapter
from adapters.education.folders import ExchangeFolder
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

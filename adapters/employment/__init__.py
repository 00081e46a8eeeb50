"""The employment centre adapter: native JSON records pushed to the centre's REST API."""

from adapters.base import Adapter
from adapters.employment.transport import EmploymentTransport

__all__ = ["ADAPTER"]

ADAPTER = Adapter(
    code="employment", delivery_mode="push", make_transport=EmploymentTransport.connect
)

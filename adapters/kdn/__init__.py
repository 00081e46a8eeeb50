"""The commission on minors (КДН и ЗП) adapter: signals pushed through the commission's SOAP API."""

from adapters.base import Adapter
from adapters.kdn.transport import KdnTransport

__all__ = ["ADAPTER"]

ADAPTER = Adapter(code="kdn", delivery_mode="push", make_transport=KdnTransport)

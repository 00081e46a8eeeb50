"""The health adapter: hospitals, perinatal centres and narcology speaking FHIR R4 JSON.

Outbound copies are pushed to the system's FHIR API (``POST {endpoint}/fhir/…``); the system
sends ServiceRequests (referrals), Tasks (action statuses) and Communications (answers to
information requests) to the hub through the hub client.
"""

from adapters.base import Adapter
from adapters.health.transport import HealthTransport

__all__ = ["ADAPTER"]

ADAPTER = Adapter(code="health", delivery_mode="push", make_transport=HealthTransport.connect)

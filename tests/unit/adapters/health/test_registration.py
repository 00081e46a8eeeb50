"""The health adapter in the registry: a push partner whose transport speaks FHIR."""

from adapters.health.transport import HealthTransport
from adapters.registry import get_adapter


def test_health_is_a_push_partner_with_its_fhir_transport() -> None:
    adapter = get_adapter("health")

    assert adapter.delivery_mode == "push"
    assert adapter.make_transport is not None
    transport = adapter.make_transport("http://127.0.0.1:9", 1.0)
    assert isinstance(transport, HealthTransport)
    transport.close()

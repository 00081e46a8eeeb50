"""The registry: one adapter per partner code, a typed error for the rest."""

import pytest

from adapters.base import InMemoryTransport, Transport
from adapters.employment.transport import EmploymentTransport
from adapters.errors import UnknownAdapter
from adapters.kdn.transport import KdnTransport
from adapters.registry import ADAPTERS, get_adapter
from adapters.social.transport import SocialTransport


def test_each_partner_has_its_delivery_mode() -> None:
    modes = {code: a.delivery_mode for code, a in ADAPTERS.items()}
    # Other partners register beside these; each of ours keeps its mode.
    assert {
        "police": "pull",
        "social": "push",
        "kdn": "push",
        "employment": "push",
    }.items() <= modes.items()
    assert get_adapter("police").make_transport is None


@pytest.mark.parametrize(
    ("code", "kind"),
    [("social", SocialTransport), ("kdn", KdnTransport), ("employment", EmploymentTransport)],
)
def test_push_adapters_build_their_transport_without_touching_the_network(
    code: str, kind: type[Transport]
) -> None:
    make = get_adapter(code).make_transport
    assert make is not None
    transport = make("http://127.0.0.1:9", 1.0)
    assert isinstance(transport, kind)
    transport.close()


def test_an_unknown_code_raises_a_key_error_naming_it() -> None:
    with pytest.raises(KeyError) as caught:
        get_adapter("guardianship")
    assert isinstance(caught.value, UnknownAdapter)
    assert "guardianship" in str(caught.value)


def test_in_memory_transport_still_satisfies_the_contract() -> None:
    # The hub's tests use it in place of any adapter; mypy checks it against the protocol.
    transport: Transport = InMemoryTransport()
    assert callable(transport.deliver)
    assert callable(transport.close)

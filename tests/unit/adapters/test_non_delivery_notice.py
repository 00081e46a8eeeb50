"""The hub's non-delivery notice (DeliveryReceipt 1.1 ``not_delivered``) in each partner's
native form; the commission's register and a gateway older than 1.1 cannot take it, which is
why the rules exempt the commission (``delivery_deadlines.without_notice``)."""

import json
from collections.abc import Callable

import pytest
from lxml import etree

import schemas.registry
from adapters.education.translate import from_canonical as education
from adapters.employment.translate import from_canonical as employment
from adapters.health.translate import from_canonical as health
from adapters.kdn.translate import from_canonical as kdn
from adapters.police.translate import from_canonical as police
from adapters.social.translate import from_canonical as social
from schemas import TranslationError, example_bytes, parse_xml

NOTICE = example_bytes("DeliveryReceipt", "1.1")


@pytest.mark.parametrize(
    ("translate", "outcome"),
    [
        (police, '"outcome": "not_delivered"'),
        (social, '"outcome": "not_delivered"'),
        (employment, '"outcome": "not_delivered"'),
        (health, "Результат: not_delivered"),
        (education, "не доставлено в срок"),
    ],
    ids=["police", "social", "employment", "health", "education"],
)
def test_each_partner_system_gets_the_notice_with_its_outcome_and_reason(
    translate: Callable[[etree._Element], object], outcome: str
) -> None:
    native = json.dumps(translate(parse_xml(NOTICE)), ensure_ascii=False)
    assert outcome in native
    assert "не доставлено получателю за 72 ч" in native


def test_the_commissions_register_takes_no_delivery_receipt() -> None:
    with pytest.raises(TranslationError, match="takes no DeliveryReceipt"):
        kdn(parse_xml(NOTICE))


def test_a_gateway_that_knows_only_1_0_refuses_the_notice(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # An older gateway's schemas package: the registry without DeliveryReceipt 1.1. Its inbox
    # relay records a refused translation in its spool and acks (adapters/gateway/inbox.py).
    known = schemas.registry.known_schemas()
    monkeypatch.setattr(
        schemas.registry,
        "_discover",
        lambda: tuple(p for p in known if p != ("DeliveryReceipt", "1.1")),
    )
    with pytest.raises(TranslationError, match=r"no schema version '1\.1'"):
        police(parse_xml(NOTICE))

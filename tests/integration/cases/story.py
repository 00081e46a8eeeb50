"""One family's case told as real signed messages through the real ingest pipeline.

Each step edits the sample payload of its type (schemas/examples) to fit the story,
signs it with the sender's dev key and ingests it, returning the hub's receipt.
"""

from datetime import date, datetime, timedelta

from lxml import etree

from hub.ingest import Ingestor, IngestReceipt
from schemas import payload_of, read_header
from tests.factories import Signers, make_envelope

KAMCHATKA = "Камчатский край"
KALUGA = "Калужская область"
#: The sample plan's three action lines (schemas/examples/SupportPlan-1.0.xml).
PLAN_ID = "ИПСС-0457"
#: The sample consent's ConsentId (schemas/examples/ConsentRecord-1.0.xml).
CONSENT_ID = "СОГЛ-2026-0457"
ACTIONS = {"ИПСС-0457-03": "health", "ИПСС-0457-07": "employment", "ИПСС-0457-09": "education"}


def set_texts(envelope: etree._Element, values: dict[str, str | list[str]]) -> None:
    """Set the payload text at each path ("Family/Address/Region"); a list sets each match."""
    payload = payload_of(envelope)
    for names, value in values.items():
        path = "/".join(f"{{*}}{name}" for name in names.split("/"))
        found = payload.findall(path)
        assert found, f"{names} not in the sample payload"
        texts = value if isinstance(value, list) else [value] * len(found)
        for element, text in zip(found, texts, strict=True):
            element.text = text


class CaseStory:
    """Sends the messages of one case; ``case_ref`` is the owner's reference."""

    def __init__(
        self,
        ingestor: Ingestor,
        signers: Signers,
        case_ref: str,
        *,
        created_at: datetime | None = None,
    ) -> None:
        self._ingestor = ingestor
        self._signers = signers
        self.case_ref = case_ref
        #: Every message's CreatedAt, for a hub whose clock is held still; None: the real time.
        self._created_at = created_at
        self.referral_message_id = ""
        #: The ConsentRef later messages carry: the sample consent's id, once given.
        self.consent_ref: str | None = None

    def send(
        self,
        message_type: str,
        sender: str,
        values: dict[str, str | list[str]] | None = None,
        *,
        case: bool = True,
        correlation_id: str | None = None,
        recipients: tuple[str, ...] = (),
        priority: str | None = None,
        version: str = "1.0",
    ) -> IngestReceipt:
        envelope = make_envelope(
            message_type,
            sender=sender,
            case_ref=self.case_ref if case else None,
            correlation_id=correlation_id,
            recipients=recipients,
            priority=priority,
            version=version,
            consent_ref=self.consent_ref if case else None,
            created_at=self._created_at,
        )
        set_texts(envelope, values or {})
        return self.ingest(envelope)

    def ingest(self, envelope: etree._Element) -> IngestReceipt:
        """Sign ``envelope`` as its Sender and ingest it, authenticated as that partner."""
        sender = read_header(envelope).sender
        return self._ingestor.ingest(self._signers.sign(envelope), authenticated=sender)

    def referral(self, region: str = KAMCHATKA, sender: str = "police") -> IngestReceipt:
        receipt = self.send("FamilyReferral", sender, {"Family/Address/Region": region}, case=False)
        self.referral_message_id = receipt.message_id
        return receipt

    def registered(self) -> IngestReceipt:
        return self.send(
            "ReferralReceipt",
            "social",
            {"ReferralMessageId": self.referral_message_id, "Outcome": "registered"},
            correlation_id=self.referral_message_id,
        )

    def surveyed(self, risk: str = "high") -> IngestReceipt:
        return self.send("SurveyAct", "social", {"RiskLevel": risk})

    def consented(self, status: str = "given") -> IngestReceipt:
        receipt = self.send("ConsentRecord", "social", {"Status": status})
        self.consent_ref = CONSENT_ID if status == "given" else None
        return receipt

    def decided(self, category: str = "sop") -> IngestReceipt:
        return self.send("CaseDecision", "kdn", {"Outcome": "recognised", "Category": category})

    def planned(self, version: int = 1, deadlines: list[date] | None = None) -> IngestReceipt:
        today = date.today()
        dates = deadlines or [today + timedelta(days=d) for d in (30, 60, 90)]
        return self.send(
            "SupportPlan",
            "social",
            {
                "Version": str(version),
                "Period/From": today.isoformat(),
                "Actions/Action/Deadline": [d.isoformat() for d in dates],
            },
        )

    def status(self, action_id: str, status: str, sender: str | None = None) -> IngestReceipt:
        return self.send(
            "ActionStatusUpdate",
            sender or ACTIONS.get(action_id, "health"),
            {"ActionId": action_id, "PlanId": PLAN_ID, "Status": status},
        )

    def closed(self, reason: str = "goals_achieved") -> IngestReceipt:
        return self.send("CaseClosure", "social", {"Reason": reason})

"""FHIR plumbing of the health adapter: validation, element reading, OperationOutcome.

The health systems speak FHIR R4. ``fhir.resources`` 8 ships R5 at its root and R4B in
``fhir.resources.R4B``; R4B (4.3) is the R4-compatible release, and the resources this adapter
exchanges (ServiceRequest, Task, Communication, CommunicationRequest, CarePlan, Bundle,
OperationOutcome and the contained Patient, RelatedPerson, Observation, Organization,
Practitioner, PractitionerRole) have the same JSON shape in R4 and R4B. Every resource the
adapter builds or reads goes through ``validated``, with R4B's models only.

The models check structure and datatypes (a bad date, an unknown element), not the code
values; ``Element`` reads the validated JSON with the profile's rules (required elements,
code tables) and names a bad element by its FHIRPath (``ServiceRequest.contained[2].birthDate``).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Final

import pydantic
from fhir.resources.R4B import get_fhir_model_class

from adapters.native import Fields
from schemas import TranslationError

__all__ = [
    "DEFAULT_SOURCE",
    "EVIDENCE",
    "OVERDUE",
    "REFERRAL_CODE",
    "SYSTEM_CODE",
    "EXT_ATTACHMENTS",
    "EXT_ENVELOPE",
    "EXT_INFORMATION_CLASS",
    "EXT_PLAN_VERSION",
    "FHIR_JSON",
    "SYS_ACTION",
    "SYS_ACTION_STATUS",
    "SYS_CASE",
    "SYS_HELP_TYPE",
    "SYS_NOTICE",
    "SYS_PLAN",
    "SYS_REASON",
    "SYS_REFERRAL",
    "SYS_REQUEST",
    "SYS_SOURCE",
    "SYS_SUBJECT",
    "SYS_TASK_OUTPUT",
    "V3_ROLE",
    "Element",
    "operation_outcome",
    "outcome_summary",
    "validated",
]

#: The media type of FHIR JSON.
FHIR_JSON: Final = "application/fhir+json"
#: The partner system code of the health systems.
SYSTEM_CODE: Final = "health"

# Profile values shared by both directions.
#: A health system's referrals come from a hospital unless ``category`` says otherwise.
DEFAULT_SOURCE: Final = "hospital"
#: ServiceRequest.code of every referral to the social support services.
REFERRAL_CODE: Final = {"text": "Направление на социальное сопровождение семьи"}
#: Task.businessStatus code (system ``SYS_ACTION_STATUS``) of an overdue action.
OVERDUE: Final = "overdue"
#: Task.output type code (system ``SYS_TASK_OUTPUT``) of the evidence of a completed action.
EVIDENCE: Final = "evidence"

_HUB: Final = "urn:family-hub:fhir"
# Extensions (StructureDefinition URLs of the hub's FHIR profile).
#: Complex extension with the hub's envelope facts (messageId, caseRef, correlationId, …).
EXT_ENVELOPE: Final = f"{_HUB}:envelope"
EXT_ATTACHMENTS: Final = f"{_HUB}:attachments-ref"
EXT_PLAN_VERSION: Final = f"{_HUB}:plan-version"
#: On a Communication.payload: which sensitivity class the content is (absent: health).
EXT_INFORMATION_CLASS: Final = f"{_HUB}:information-class"
# Identifier and code systems.
SYS_REFERRAL: Final = f"{_HUB}:referral-id"
SYS_REASON: Final = f"{_HUB}:referral-reason"
SYS_SOURCE: Final = f"{_HUB}:source-channel"
SYS_CASE: Final = f"{_HUB}:case-ref"
SYS_ACTION: Final = f"{_HUB}:action-id"
SYS_PLAN: Final = f"{_HUB}:plan-id"
SYS_ACTION_STATUS: Final = f"{_HUB}:action-status"
SYS_HELP_TYPE: Final = f"{_HUB}:help-type"
SYS_TASK_OUTPUT: Final = f"{_HUB}:task-output"
SYS_REQUEST: Final = f"{_HUB}:information-request-id"
SYS_SUBJECT: Final = f"{_HUB}:request-subject"
SYS_NOTICE: Final = f"{_HUB}:notice"
#: HL7 v3 RoleCode: MTH, FTH, GUARD, FAMMEMB for a RelatedPerson's relationship.
V3_ROLE: Final = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"


def validated(resource: object, resource_types: Collection[str]) -> dict[str, object]:
    """Return ``resource`` (FHIR JSON) once the R4B model of its type accepts it.

    Raises:
        TranslationError: not a JSON object, a ``resourceType`` not in ``resource_types``, or
            an element the model refuses (``field`` is its FHIRPath, ``reason`` the rule).
    """
    if not isinstance(resource, Mapping):
        raise TranslationError("resource", "not a JSON object")
    kind = resource.get("resourceType")
    if kind not in resource_types:
        raise TranslationError("resourceType", f"expected one of {', '.join(resource_types)}")
    try:
        get_fhir_model_class(str(kind)).model_validate(resource)
    except pydantic.ValidationError as exc:
        error = exc.errors()[0]
        raise TranslationError(_fhirpath(str(kind), error["loc"]), _reason(error)) from exc
    return dict(resource)


def _fhirpath(root: str, loc: tuple[int | str, ...]) -> str:
    path = root
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def _reason(error: Mapping[str, object]) -> str:
    # Pydantic messages may quote the input: keep only the rule, never the value.
    kind = str(error.get("type", "invalid"))
    if kind.endswith("missing"):
        return "missing"
    if kind == "extra_forbidden":
        return "not an element of this resource"
    message = str(error.get("msg", kind)).removeprefix("Value error, ")
    return message.split(".")[0]


def operation_outcome(field: str, reason: str, *, code: str = "invalid") -> dict[str, object]:
    """The OperationOutcome telling a FHIR client which element is wrong and why.

    ``code`` is an IssueType (``invalid``, ``required``, ``processing``, ``transient``, …).
    """
    outcome: dict[str, object] = {
        "resourceType": "OperationOutcome",
        "issue": [
            {
                "severity": "error",
                "code": "required" if reason == "missing" and code == "invalid" else code,
                "diagnostics": reason,
                "expression": [field],
            }
        ],
    }
    return validated(outcome, ("OperationOutcome",))


def outcome_summary(body: object) -> str | None:
    """``code at expression`` of each issue of an OperationOutcome, or None if it is not one.

    Diagnostics are left out: a partner may quote the data in them, and error messages of the
    delivery contract carry ids and codes only.
    """
    if not isinstance(body, Mapping) or body.get("resourceType") != "OperationOutcome":
        return None
    issues = body.get("issue")
    parts = []
    for issue in issues if isinstance(issues, list) else []:
        if isinstance(issue, Mapping):
            expression = issue.get("expression")
            where = ", ".join(map(str, expression)) if isinstance(expression, list) else "?"
            parts.append(f"{issue.get('code', '?')} at {where}")
    return "; ".join(parts) or "no issues"


class Element(Fields):
    """A FHIR element read like ``Fields``, with FHIR's shapes: lists used as one value."""

    def obj(self, key: str) -> Element:
        """A required nested element."""
        return Element(self._get(key), self.path(key))

    def optional_obj(self, key: str) -> Element | None:
        """A nested element that may be absent."""
        return self.obj(key) if self.has(key) else None

    def elements(self, key: str, *, required: bool = True) -> list[Element]:
        """A list of nested elements (``Fields.objects``); a required list must not be empty."""
        values = self._list(key, required=required)
        return [Element(item, f"{self.path(key)}[{i}]") for i, item in enumerate(values)]

    def first(self, key: str) -> Element:
        """The first object of a required list (a 0..* element the profile uses as 1..1)."""
        return self.elements(key)[0]

    def optional_first(self, key: str) -> Element | None:
        """The first object of a list that may be absent."""
        found = self.elements(key, required=False)
        return found[0] if found else None

    def texts(self, key: str) -> list[str]:
        """A required, non-empty list of non-blank strings (e.g. ``HumanName.given``)."""
        values = self._list(key, required=True)
        texts = []
        for i, value in enumerate(values):
            if not isinstance(value, str) or not value.strip():
                raise TranslationError(f"{self.path(key)}[{i}]", "not a non-blank string")
            texts.append(value.strip())
        return texts

    def raw(self, key: str) -> object:
        """The JSON value under ``key`` (``None`` when absent)."""
        return self._data.get(key)

    def coding(self, system: str) -> Element | None:
        """This CodeableConcept's first coding of ``system``, if any."""
        for coding in self.elements("coding", required=False):
            if coding.raw("system") == system:
                return coding
        return None

    def extension(self, url: str) -> Element | None:
        """The extension with ``url`` on this element, if present."""
        for extension in self.elements("extension", required=False):
            if extension.raw("url") == url:
                return extension
        return None

"""The FHIR plumbing: R4B validation with FHIRPath errors, OperationOutcome in and out."""

import pytest

from adapters.health.fhir import Element, operation_outcome, outcome_summary, validated
from schemas import TranslationError


def test_a_valid_resource_comes_back_as_it_was() -> None:
    task = {"resourceType": "Task", "status": "requested", "intent": "order"}

    assert validated(task, ("Task",)) == task


@pytest.mark.parametrize(
    ("resource", "field", "reason"),
    [
        ("Task", "resource", "not a JSON object"),
        ({"resourceType": "Task", "intent": "order"}, "Task.status", "missing"),
        (
            {"resourceType": "Task", "status": "requested", "intent": "order", "x": 1},
            "Task.x",
            "not an element of this resource",
        ),
        (
            {
                "resourceType": "Task",
                "status": "requested",
                "intent": "order",
                "note": [{"text": "a"}, {"time": "вчера"}],
            },
            "Task.note[1].time",
            "DateTime value string does not match spec regex",
        ),
    ],
)
def test_an_invalid_resource_names_the_element_by_fhirpath(
    resource: object, field: str, reason: str
) -> None:
    with pytest.raises(TranslationError) as caught:
        validated(resource, ("Task",))

    assert (caught.value.field, caught.value.reason) == (field, reason)


def test_an_operation_outcome_names_the_element_and_says_missing_is_required() -> None:
    outcome = operation_outcome("Task.owner", "missing")

    assert outcome["issue"] == [
        {
            "severity": "error",
            "code": "required",
            "diagnostics": "missing",
            "expression": ["Task.owner"],
        }
    ]
    assert outcome_summary(outcome) == "required at Task.owner"


@pytest.mark.parametrize("body", [None, {"resourceType": "Task"}, [1, 2]])
def test_a_body_that_is_no_operation_outcome_has_no_summary(body: object) -> None:
    assert outcome_summary(body) is None


def test_elements_read_lists_as_single_values_and_codings_by_system() -> None:
    concept = Element({"coding": [{"system": "a", "code": "x"}, {"system": "b", "code": "y"}]})

    coding = concept.coding("b")

    assert coding is not None
    assert coding.raw("code") == "y"
    assert concept.coding("c") is None
    with pytest.raises(TranslationError) as caught:
        Element({"given": ["Анна", " "]}, "name").texts("given")
    assert caught.value.field == "name.given[1]"

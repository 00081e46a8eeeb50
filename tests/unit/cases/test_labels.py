"""The words the case pages put in place of codes: deadlines' subjects and conflicts."""

import pytest

from hub.cases.labels import CONFLICT_EXPLANATIONS, conflict_explanation, deadline_subject
from hub.errors import CASE_CONFLICT_CODES, CODES

MEASURES = {"ИПСС-2026-0001-01": "Консультация педиатра"}


@pytest.mark.parametrize(
    ("kind", "subject", "words"),
    [
        ("action", "ИПСС-2026-0001-01", "Консультация педиатра"),
        ("acceptance", "ИПСС-2026-0001-01", "Консультация педиатра"),
        # An action the viewer may not see (or no longer in the plan) is not named by id.
        ("action", "A9", ""),
        ("report", "education:2026-12-01", "за период по 01.12.2026"),
        ("report", "school-3:2027-03-31", "за период по 31.03.2027"),
        ("report", "2026-Q3", ""),
        # Keys that are ids alone: the kind and the responsible say it all.
        ("information_response", "REQ-7:health", ""),
        ("survey", "", ""),
    ],
)
def test_a_deadline_says_what_it_is_about_in_words(kind: str, subject: str, words: str) -> None:
    assert deadline_subject(kind, subject, MEASURES) == words


def test_every_case_conflict_is_explained_in_russian() -> None:
    assert set(CONFLICT_EXPLANATIONS) == set(CASE_CONFLICT_CODES)
    for code in CASE_CONFLICT_CODES:
        assert conflict_explanation(code) == CONFLICT_EXPLANATIONS[code]


def test_a_conflict_code_without_an_explanation_still_reads_in_russian() -> None:
    # A catalogue code (one a later change records as a conflict) gets its Russian title;
    # a code outside the catalogue a general sentence, never the code itself.
    assert conflict_explanation("signature.signer_not_sender") == (
        CODES["signature.signer_not_sender"].title_ru
    )
    assert conflict_explanation("case.something_new") == (
        "Сообщение противоречит делу: оно не учтено."
    )

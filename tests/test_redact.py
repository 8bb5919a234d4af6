"""Redaction: nothing personal survives, everything comes back, ordinary text is left alone."""

from __future__ import annotations

import pytest

from persona.documents import Passage
from persona.redact import Redactor, collect_names
from persona.schema import Persona
from tests.fakes import MARIA

PII_TEXT = (
    "Maria Gonzalez wrote from maria.g@example.com and +49 170 1234567; Maria also gave "
    "(030) 555-1234, https://shop.example.com/basket?id=7, www.example.org, "
    "IBAN DE89 3704 0044 0532 0130 00 and card 4111-1111-1111-1111."
)
SECRETS = [
    "Maria Gonzalez",
    "Maria",
    "Gonzalez",
    "maria.g@example.com",
    "+49 170 1234567",
    "(030) 555-1234",
    "https://shop.example.com/basket?id=7",
    "www.example.org",
    "DE89 3704 0044 0532 0130 00",
    "4111-1111-1111-1111",
]


@pytest.fixture
def redactor() -> Redactor:
    r = Redactor()
    r.add_names(["Maria Gonzalez"])
    return r


def test_no_personal_data_survives(redactor):
    redacted = redactor.redact(PII_TEXT)
    for secret in SECRETS:
        assert secret not in redacted
    for kind in ("PERSON", "EMAIL", "PHONE", "URL", "IBAN", "CARD"):
        assert f"[{kind}_1]" in redacted


def test_restore_is_exact(redactor):
    assert redactor.restore(redactor.redact(PII_TEXT)) == PII_TEXT


def test_same_value_same_placeholder(redactor):
    first = redactor.redact("Mail maria.g@example.com")
    second = redactor.redact("again maria.g@example.com")
    assert first.split()[-1] == second.split()[-1] == "[EMAIL_1]"


@pytest.mark.parametrize(
    "text",
    [
        "I shop 3-4 times a week",
        "since 2019",
        "it costs 45.50 euros",
        "on 12.03.2024 and 2024-03-12",
        "version 1.2.3 of the app",
        "about 80 euros a week",
        "Order 12345 arrived",
        "The Interviewer asked about Sunday",
        "card 4111 1111 1111 1112",
    ],
)
def test_ordinary_text_is_left_alone(redactor, text):
    assert redactor.redact(text) == text


@pytest.mark.parametrize(
    "returned", ["[PERSON_1]", "[Person_1]", "PERSON_1", "[ person_1 ]", "[PERSON 1]"]
)
def test_restore_tolerates_reformatted_placeholders(redactor, returned):
    redactor.redact("Maria Gonzalez")
    assert redactor.restore(f"Hi {returned}!") == "Hi Maria Gonzalez!"


def test_unknown_placeholder_is_left(redactor):
    assert redactor.restore("[PERSON_9]") == "[PERSON_9]"


def test_counts_are_readable(redactor):
    redactor.redact(PII_TEXT)
    counts = redactor.counts()
    assert counts["e-mail addresses"] == 1 and counts["names"] >= 1


@pytest.mark.parametrize(
    ("passage", "expected"),
    [
        (Passage("a.md", "line 1", "Participant: Maria Gonzalez (34, nurse)"), "Maria Gonzalez"),
        (Passage("a.md", "line 1", "## Priya Nair (22, student)"), "Priya Nair"),
        (Passage("a.md", "line 4", "Tom: I give up."), "Tom"),
        (Passage("a.md", "line 4", "**Zoë:** yes"), "Zoë"),
        (Passage("s.csv", "row 2", "Name: Zoë Lefèvre; Answer: fine"), "Zoë Lefèvre"),
        (Passage("s.json", "record 1", "Respondent: Ana Ruiz; Score: 4"), "Ana Ruiz"),
    ],
)
def test_collect_names(passage, expected):
    assert collect_names([passage]) == [expected]


@pytest.mark.parametrize(
    "passage",
    [
        Passage("a.md", "line 2", "Interviewer: What do you buy?"),
        Passage("a.md", "line 2", "Q: How often?"),
        Passage("s.csv", "row 2", "Frequency: Weekly; Answer: Fine"),
        Passage("s.csv", "row 2", "Respondent: R005; Answer: fine"),
        Passage("a.md", "line 2", "I think the app is fine."),
    ],
)
def test_collect_names_skips_labels_and_ids(passage):
    assert collect_names([passage]) == []


def test_persona_round_trip(redactor):
    persona = Persona.model_validate(MARIA)
    persona.participants = ["Maria Gonzalez"]
    persona.bio = "Maria Gonzalez (maria.g@example.com) shops on Sundays."
    hidden = redactor.redact_persona(persona)
    assert "Maria Gonzalez" not in hidden.model_dump_json()
    assert "maria.g@example.com" not in hidden.model_dump_json()
    assert redactor.restore_persona(hidden) == persona

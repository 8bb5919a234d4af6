"""Redaction: nothing personal survives, everything comes back, ordinary text is left alone."""

from __future__ import annotations

import json
import re

import pytest

from persona.core.documents import Passage
from persona.core.errors import PersonaError
from persona.core.schema import Persona
from persona.hybrid.labels import collect_names
from persona.hybrid.name_words import looks_like_name
from persona.hybrid.redact import RedactionError, Redactor, redactor_for
from persona.ingest import read_file
from tests.fakes import MARIA
from tests.survey_files import NAMED_SURVEY

PII_TEXT = (
    "Maria Gonzalez wrote from maria.g@example.com and +49 170 1234567; Maria also gave "
    "(030) 555-1234, https://shop.example.com/basket?id=7, www.example.org, "
    "IBAN DE89 3704 0044 0532 0130 00 and card 4111-1111-1111-1111. GONZALEZ agreed.\n"
    "Tom Becker: call me on 555-0148 or 020 7946 0958, or at tom@example.co.uk "
    "(see linkedin.com/in/tombecker). Card 3782 822463 10005, IBAN GB82WEST12345698765432."
)
SECRETS = [
    "Maria Gonzalez",
    "Maria",
    "Gonzalez",
    "GONZALEZ",
    "maria.g@example.com",
    "+49 170 1234567",
    "(030) 555-1234",
    "https://shop.example.com/basket?id=7",
    "www.example.org",
    "DE89 3704 0044 0532 0130 00",
    "4111-1111-1111-1111",
    "Tom",
    "Becker",
    "555-0148",
    "020 7946 0958",
    "tom@example.co.uk",
    "linkedin.com/in/tombecker",
    "3782 822463 10005",
    "GB82WEST12345698765432",
]


@pytest.fixture
def redactor() -> Redactor:
    return Redactor(["Maria Gonzalez", "Tom Becker"])


def test_no_personal_data_survives(redactor):
    redacted = redactor.redact_data(PII_TEXT)
    for secret in SECRETS:
        assert secret.casefold() not in redacted.casefold()
    for kind in ("PERSON", "EMAIL", "PHONE", "URL", "IBAN", "CARD"):
        assert f"[{kind}_1]" in redacted and f"[{kind}_2]" in redacted


def test_restore_is_exact(redactor):
    assert redactor.restore(redactor.redact_data(PII_TEXT)) == PII_TEXT


@pytest.mark.parametrize(
    ("text", "redacted"),
    [
        ("Mail maria.g@example.com.", "Mail [EMAIL_1]."),
        ("See https://example.com/a?b=1).", "See [URL_1])."),
        ("Maria's basket", "[PERSON_1]'s basket"),
        ("maria said", "[PERSON_1] said"),
        ("Maria\nGonzalez", "[PERSON_1]"),
        ("Mariana and Marianne", "Mariana and Marianne"),
        ("Call +1 (555) 014-2297 today", "Call [PHONE_1] today"),
        ("Phone: 555-0148 (landline)", "Phone: [PHONE_1] (landline)"),
        ("ring 0176 12345678", "ring [PHONE_1]"),
        ("at 555.123.4567", "at [PHONE_1]"),
        ("pay with 4111 1111 1111 1111", "pay with [CARD_1]"),
    ],
)
def test_redacts_in_place(text, redacted):
    assert Redactor(["Maria Gonzalez"]).redact_data(text) == redacted


def test_same_value_same_placeholder_across_calls(redactor):
    first = redactor.redact_data("Mail maria.g@example.com about Maria")
    second = redactor.redact_data("Maria again: maria.g@example.com")
    assert first == "Mail [EMAIL_1] about [PERSON_1]"
    assert second == "[PERSON_1] again: [EMAIL_1]"
    assert redactor.redact_data("other@example.com") == "[EMAIL_2]"


@pytest.mark.parametrize(
    "text",
    [
        "I shop 3-4 times a week",
        "since 2019, and from 2019-2021 weekly",
        "it costs 45.50 euros, or €1,299.99, or $12",
        "on 12.03.2024, 2024-03-12, 12/03/2024 and 12 March 2024 at 10:30",
        "version 1.2.3 of the app, build 10.0.19045",
        "about 80 euros a week for 4 people",
        "Order 12345 arrived in 30-45 minutes",
        "between 100-200 users, 15% of them",
        "The Interviewer asked about Sunday",
        "card 4111 1111 1111 1112",
        "See the Basket App on Monday; we will mark it as done.",
        "Population 83 000 000 in 2023",
        "We had a call on 12.03.2024 and a phone interview 2024-03-14",
    ],
)
def test_ordinary_text_is_left_alone(text):
    redactor = Redactor(["Maria Gonzalez", "Will Mark"])
    assert redactor.redact_data(text) == text
    assert redactor.counts([text]) == {}


def test_names_that_are_words_need_a_capital():
    redactor = Redactor(["Will Brown", "Grace"])
    text = "Will said I will try the brown bag; Grace said grace. Will Brown, will brown"
    assert redactor.redact_data(text) == (
        "[PERSON_1] said I will try the brown bag; [PERSON_2] said grace. [PERSON_3], will brown"
    )


@pytest.mark.parametrize(
    ("names", "text", "redacted"),
    [
        (["José Núñez"], "Jose Nunez and José", "[PERSON_1] and [PERSON_2]"),
        (["Ana Sofía Ruiz"], "Sofía Ruiz met Ana", "[PERSON_1] [PERSON_2] met [PERSON_3]"),
        (["Anne-Marie van Dijk"], "Anne-Marie and van Dijk", "[PERSON_1] and van [PERSON_2]"),
        (["Participant 3", "P1", "Interviewer"], "Participant 3, P1, Interviewer", None),
        (["  "], "nothing", None),
    ],
)
def test_name_variants(names, text, redacted):
    assert Redactor(names).redact_data(text) == (redacted or text)


@pytest.mark.parametrize(
    "returned",
    ["[PERSON_1]", "[Person_1]", "PERSON_1", "[ person_1 ]", "[PERSON 1]", "<PERSON_1>", "Person1"],
)
def test_restore_tolerates_reformatted_placeholders(redactor, returned):
    redactor.redact_data("Maria Gonzalez")
    assert redactor.restore(f"Hi {returned}!") == "Hi Maria Gonzalez!"


@pytest.mark.parametrize("text", ["[PERSON_9]", "PERSON_10", "a person 1 day", "URL_1x"])
def test_restore_leaves_unknown_and_ordinary_text(redactor, text):
    redactor.redact_data("Maria Gonzalez at https://example.com/x")
    assert redactor.restore(text) == text


def test_placeholder_ten_is_not_placeholder_one():
    redactor = Redactor()
    redacted = redactor.redact_data(" ".join(f"u{n}@example.com" for n in range(1, 12)))
    assert redactor.restore("[EMAIL_10] [EMAIL_1]") == "u10@example.com u1@example.com"
    assert redactor.restore(redacted) == " ".join(f"u{n}@example.com" for n in range(1, 12))


def test_mapping_is_a_copy_of_placeholders_to_originals(redactor):
    redactor.redact_data("maria.g@example.com")
    mapping = redactor.mapping
    mapping.clear()
    assert redactor.mapping == {"[EMAIL_1]": "maria.g@example.com"}


@pytest.mark.parametrize(
    ("text", "counts"),
    [
        ("Maria Gonzalez, maria.g@example.com", {"name": 1, "e-mail address": 1}),
        ("Maria and Tom at a@example.com, b@example.com", {"names": 2, "e-mail addresses": 2}),
        ("+49 170 1234567 https://x.example/a", {"phone number": 1, "link": 1}),
        (
            "DE89 3704 0044 0532 0130 00, 4111111111111111",
            {"bank account number": 1, "card number": 1},
        ),
        ("nothing here", {}),
    ],
)
def test_counts_are_readable(redactor, text, counts):
    redacted = redactor.redact_data(text)
    assert redactor.counts([redacted]) == counts == redactor.counts()


@pytest.mark.parametrize(
    ("passage", "expected"),
    [
        (Passage("a.md", "line 1", "Participant: Maria Gonzalez (34, nurse)"), ["Maria Gonzalez"]),
        (Passage("a.md", "line 1", "Maria Gonzalez (34, nurse):"), ["Maria Gonzalez"]),
        (Passage("a.md", "line 1", "## Priya Nair (22, student)"), ["Priya Nair"]),
        (Passage("a.md", "line 1", "Tom Becker (71 years old)"), ["Tom Becker"]),
        (Passage("a.md", "line 4", "Tom: I give up."), ["Tom"]),
        (Passage("a.md", "line 4", "**Zoë:** yes"), ["Zoë"]),
        (Passage("a.md", "line 4", "Maria G.: fine"), ["Maria G."]),
        (Passage("s.csv", "row 2", "Name: Zoë Lefèvre; Answer: fine"), ["Zoë Lefèvre"]),
        (Passage("s.csv", "row 2", "ID: 7; Full name: ana ruiz; Age: 30"), ["ana ruiz"]),
        (Passage("s.json", "record 1", "Respondent: Ana Ruiz; Score: 4"), ["Ana Ruiz"]),
        (Passage("s.json", "record 1", "user.first_name: Ana; score: 4"), ["Ana"]),
        (Passage("t.txt", "page 1", "Interviewer: Hi\nMaria: Hi\nTom: Hello"), ["Maria", "Tom"]),
    ],
)
def test_collect_names(passage, expected):
    assert collect_names([passage]) == expected


@pytest.mark.parametrize(
    "passage",
    [
        Passage("a.md", "line 2", "Interviewer: What do you buy?"),
        Passage("a.md", "line 2", "Q: How often?"),
        Passage("a.md", "line 2", "A: Weekly."),
        Passage("a.md", "line 2", "Note: she laughed"),
        Passage("a.md", "line 2", "E-mail: p.nair@example.org"),
        Passage("a.md", "line 2", "Contact for follow-up: 555-0148"),
        Passage("a.md", "line 2", "Usability Test (5 users)"),
        Passage("s.csv", "row 2", "Frequency: Weekly; Answer: Fine"),
        Passage("s.csv", "row 2", "Respondent: R005; Answer: fine"),
        Passage("s.csv", "row 2", "Name: n/a; Answer: fine"),
        Passage("s.csv", "row 2", "Name: Prefer not to say"),
        Passage("s.csv", "row 2", "Product name: 42"),
        Passage("a.md", "line 2", "I think the app is fine."),
    ],
)
def test_collect_names_skips_labels_and_ids(passage):
    assert collect_names([passage]) == []


def test_speaker_label_that_is_an_ordinary_word_is_not_a_name():
    passages = [
        Passage("notes.md", "line 1", "Update: the order came late"),
        Passage("notes.md", "line 2", "Maria: the latest update broke it, mail maria@example.com"),
        Passage("notes.md", "line 3", "Tom: see https://example.com/tom"),
        Passage("answers.txt", "line 1", "Feeling: calm"),
        Passage("answers.txt", "line 2", "Feeling: tired; Age: 30"),
    ]
    assert collect_names(passages) == ["Maria", "Tom"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Maria Gonzalez", True),
        ("Zoë", True),
        ("maria", False),
        ("P3", False),
        ("Interviewer", False),
        ("Maria Gonzalez Ruiz de la Vega Smith", False),
        ("", False),
    ],
)
def test_looks_like_name(value, expected):
    assert looks_like_name(value) is expected


def test_data_round_trip_keys_and_values(redactor):
    persona = Persona.model_validate(MARIA).model_dump()
    persona["participants"] = ["Maria Gonzalez", "Priya Nair"]
    persona["bio"] = "Maria Gonzalez (maria.g@example.com, +49 170 1234567) shops with Priya."
    persona["goals"][0]["evidence"][0]["quote"] = "Priya: call me on 020 7946 0958"
    persona["goals"][0]["evidence"][0]["locator"] = "Maria Gonzalez, line 3"
    redactor.add_names(["Priya Nair"])
    hidden = redactor.redact_data(persona)
    dumped = json.dumps(hidden)
    for secret in ("Maria", "Gonzalez", "maria.g@example.com", "Priya", "020 7946 0958", "1234567"):
        assert secret not in dumped
    assert all(re.fullmatch(r"\[PERSON_\d+\]", p) for p in hidden["participants"])
    assert redactor.restore_data(hidden) == persona


def test_restore_data_with_reformatted_placeholders(redactor):
    hidden = redactor.redact_data({"bio": "Maria Gonzalez plans."})
    placeholder = re.search(r"\[PERSON_(\d+)\]", hidden["bio"])
    reworded = {"bio": hidden["bio"].replace(placeholder.group(), f"Person_{placeholder.group(1)}")}
    assert redactor.restore_data(reworded) == {"bio": "Maria Gonzalez plans."}


@pytest.mark.parametrize(
    ("text", "redacted"),
    [
        ("01_maria_gonzalez.md", "01_[PERSON_1]_[PERSON_2].md"),
        ("maria-gonzalez-notes.txt", "[PERSON_1]-[PERSON_2]-notes.txt"),
        ("Maria2024", "[PERSON_1]2024"),
        ("Mariana", "Mariana"),
    ],
)
def test_names_inside_file_names_and_identifiers(text, redacted):
    assert Redactor(["Maria Gonzalez"]).redact_data(text) == redacted


def test_file_names_are_pseudonymised_whole():
    redactor = Redactor()
    redactor.add_files(["interview_jsmith.txt", "notes.md"])
    assert (
        redactor.redact_data("see interview_jsmith.txt and notes.md") == "see [FILE_1] and [FILE_2]"
    )
    assert redactor.restore("[FILE_2], [FILE_1]") == "notes.md, interview_jsmith.txt"


def test_existing_pseudonyms_in_the_data_are_never_restored_into_names():
    data = {"quote": "[PERSON_1] told me Maria Gonzalez was right"}
    redactor = redactor_for([], [data])
    redactor.add_names(["Maria Gonzalez"])
    hidden = redactor.redact_data(data)
    assert "[PERSON_1] told me" in hidden["quote"] and "[PERSON_2]" in hidden["quote"]
    assert redactor.restore_data(hidden) == data


def test_redactor_for_learns_from_the_payload_itself():
    payload = {
        "name": "Carla Planner",
        "participants": ["Ines", "P7"],
        "bio": "Ines shops for her mother Anna. Text in the app is too small on Sunday.",
        "goals": [
            {
                "text": "Wants to reach Dr Okafor at the children's hospital.",
                "evidence": [
                    {
                        "quote": "my colleague Jonas set it up",
                        "source": "week2_ines_interview.md",
                        "locator": "Ines, line 4",
                    }
                ],
            }
        ],
    }
    passages = [Passage("week2_ines_interview.md", "line 4", "Ines: my colleague Jonas set it up")]
    redactor = redactor_for(passages, [payload])
    hidden = json.dumps(redactor.redact_data(payload))
    for secret in ("Ines", "Anna", "Okafor", "Jonas", "Carla", "week2_ines_interview"):
        assert secret not in hidden, secret
    for ordinary in ("Text in the app", "Sunday", "children's hospital", "P7", "Planner"):
        assert ordinary in hidden, ordinary


def test_redaction_failures_become_persona_errors(monkeypatch):
    redactor = Redactor(["Maria"])

    def broken(*args, **kwargs):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(redactor, "_redact", broken)
    with pytest.raises(RedactionError, match="nothing was sent"):
        redactor.redact_data("Maria")
    with pytest.raises(PersonaError):
        redactor.redact_data({"a": "Maria"})


def test_segments_mark_only_this_redactors_pseudonyms(redactor):
    text = redactor.redact_data("Maria Gonzalez") + " and [PERSON_9] [not]"
    assert list(redactor.segments(text)) == [
        ("[PERSON_1]", True),
        (" and [PERSON_9] [not]", False),
    ]
    assert redactor.counts([text]) == {"name": 1}
    assert redactor.counts(["nothing here"]) == {}


def test_identifier_columns_feed_the_redactor_though_no_passage_holds_them() -> None:
    document, _ = read_file("named.csv", NAMED_SURVEY.encode())
    assert document is not None
    answers = [p.text for p in document.passages if p.citable]
    redactor = redactor_for(document.passages, [answers], identifiers=document.identifiers)
    hidden = " ".join(redactor.redact_data(answers))
    for name in ("Malik", "Dana"):
        assert name in " ".join(answers) and name not in hidden, name
    assert "[PERSON_" in hidden and "the slots are gone by eight" in hidden
    assert redactor.restore_data(redactor.redact_data(answers)) == answers


def test_identifier_values_that_are_not_names_are_hidden_as_written() -> None:
    redactor = Redactor()
    redactor.add_identifiers(["CUST-0042", "7", "Oluwaseun Adeyemi", "olu@example.com"])
    text = "CUST-0042 wrote 7 times; Oluwaseun (olu@example.com) and Adeyemi agree."
    redacted = redactor.redact_data(text)
    assert redacted == "[ID_1] wrote 7 times; [PERSON_1] ([ID_2]) and [PERSON_2] agree."
    assert redactor.restore(redacted) == text

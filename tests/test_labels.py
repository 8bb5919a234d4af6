"""Names the data labels as names, in every common label shape, never reach Claude.

The transcripts here are written for this test (not the samples), with names from many
cultures that no names list Persona ships is likely to hold.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from persona.core.documents import Passage
from persona.hybrid.labels import collect_names
from persona.hybrid.name_words import is_generic
from persona.hybrid.redact import Redactor, redactor_for
from persona.ingest import read_paths

ONE_SHAPE_EACH = """\
# Session 4: repeat prescriptions
Interviewer: Thanks for joining. How do you order now?
P02 (Malik, 20, second-year engineering student): I order on Sundays, usually at 6:52.
Nguyen Thi Lan (P03): My mother uses the app too and I pay 15 euros a month.
[Oluwaseun] I have 3 kids and we started in 2019.
SIOBHÁN: Twice a week, honestly, sometimes three times.
Dr. Okonjo-Iweala: I keep a paper list as well.
Zhang Wei  0:03
The reminders come too late for me.
<v Mohammed Al-Farsi>I never open the e-mails.</v>
00:14:02 Kwabena Mensah: it crashed twice last week.
P07 – Aigerim: the pharmacy was closed.
Interviewer (Beatriz): Anything else?
**Tupac Quispe:** no, that is all.
"""
PEOPLE = [
    "Malik",
    "Nguyen Thi Lan",
    "Oluwaseun",
    "SIOBHÁN",
    "Okonjo-Iweala",
    "Zhang Wei",
    "Mohammed Al-Farsi",
    "Kwabena Mensah",
    "Aigerim",
    "Beatriz",
    "Tupac Quispe",
]
SAID_LATER = (
    "Malik said his brother Oluwaseun helps; Siobhán and Aigerim agreed with Zhang Wei, "
    "Nguyen Thi Lan and Mr Mensah; Tupac laughed."
)
KEPT = ["6:52", "15 euros", "3 kids", "2019", "Twice a week", "Interviewer", "Sundays", "0:03"]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("P02 (Malik, 20, second-year engineering student): I order", ["Malik"]),
        ("P02 (Dana, 20, second-year engineering student): I order", ["Dana"]),
        ("Malik (P02): fine", ["Malik"]),
        ("[Malik] fine", ["Malik"]),
        ("[00:01:02] Malik: fine", ["Malik"]),
        ("MALIK: fine", ["Malik"]),
        ("Dr. Okafor: fine", ["Okafor"]),
        ("Prof Zhang Wei: fine", ["Zhang Wei"]),
        ("Mohammed Al-Farsi: fine", ["Mohammed Al-Farsi"]),
        ("Zhang Wei  0:03", ["Zhang Wei"]),
        ("<v Oluwaseun>fine</v>", ["Oluwaseun"]),
        ("<v.loud Siobhán Ní Bhriain>fine", ["Siobhán Ní Bhriain"]),
        ("P07 – Aigerim: fine", ["Aigerim"]),
        ("Participant 3 (Ngozi): fine", ["Ngozi"]),
        ("Interviewer (Beatriz): anything else?", ["Beatriz"]),
        ("R12 (Rose, 34, nurse): fine", ["Rose"]),
        ("- **Nguyen Thi Lan**: fine", ["Nguyen Thi Lan"]),
    ],
)
def test_every_label_shape_gives_its_name(line: str, expected: list[str]) -> None:
    again = line.replace("fine", "and again")
    lines = [Passage("t.txt", "line 1", line), Passage("t.txt", "line 2", again)]
    assert collect_names(lines) == expected


@pytest.mark.parametrize(
    "line",
    [
        "[Laughs] no",
        "[inaudible] so then",
        "P02 (female, 20, student): I order",
        "P02 (Teacher, 45): I order",
        "Findings: slow",
        "I get up at 6:52",
        "Monday 6:52",
        "Usability Test (5 users)",
        "<v Interviewer>Hello</v>",
        "Note: she laughed",
        "Q3 (Frequency): weekly",
        "Interviewer (Probe): and then?",
    ],
)
def test_things_in_label_position_that_are_not_names(line: str) -> None:
    """One line each: a heading or a note labels one line, a speaker several."""
    assert collect_names([Passage("t.txt", "line 1", line)]) == []


def test_a_bare_label_that_is_also_a_word_counts_when_it_labels_several_lines() -> None:
    passages = [
        Passage("t.txt", "line 1", "Will: I will try it."),
        Passage("t.txt", "line 2", "Update: the update broke it"),
        Passage("t.txt", "line 3", "Will: again, it will not load."),
    ]
    assert collect_names(passages) == ["Will"]
    assert collect_names(passages[:2]) == []


def fresh_study(tmp_path: Path) -> tuple[list[Passage], str]:
    (tmp_path / "session4.txt").write_text(ONE_SHAPE_EACH, encoding="utf-8")
    (tmp_path / "session4_notes.md").write_text(f"## Notes\n\n{SAID_LATER}\n", encoding="utf-8")
    passages = read_paths([tmp_path]).passages
    assert passages, "the fresh study was read"
    return passages, ONE_SHAPE_EACH + SAID_LATER


def test_no_name_of_a_fresh_transcript_reaches_the_payload(tmp_path: Path) -> None:
    passages, _ = fresh_study(tmp_path)
    payload = {
        "name": "Ordering Olu",
        "participants": ["P02", "P03"],
        "bio": SAID_LATER,
        "passages": {p.id: p.text for p in passages},
    }
    redactor = redactor_for(passages, [payload])
    hidden = redactor.redact_data(payload)
    sent = json.dumps(hidden, ensure_ascii=False)
    for person in PEOPLE:
        for part in {person, *person.split()}:
            assert not re.search(rf"(?<!\w){re.escape(part)}(?!\w)", sent, re.I), part
    for ordinary in KEPT:
        assert ordinary in sent, ordinary
    assert redactor.restore_data(hidden) == payload


def test_the_preview_highlights_every_hidden_name(tmp_path: Path) -> None:
    passages, text = fresh_study(tmp_path)
    redactor = redactor_for(passages, [text])
    redacted = redactor.redact_data(text)
    highlighted = [piece for piece, hidden in redactor.segments(redacted) if hidden]
    shown = "".join(piece if not hidden else "" for piece, hidden in redactor.segments(redacted))
    originals = " ".join(redactor.mapping[piece] for piece in highlighted)
    for person in PEOPLE:
        assert person.split()[-1].casefold() in originals.casefold(), person
        assert person not in shown
    assert redactor.counts([redacted])["names"] >= len(PEOPLE)
    assert redactor.restore(redacted) == text


WORD = st.builds(
    lambda first, rest: first + rest,
    st.sampled_from("ABCDÉGHIKLMNOPRSTVWXYZŁÖÇ"),
    st.text("aeiouáéíóúãñçšłöüyhkmnrstlbdgvwz", min_size=2, max_size=9),
)
NAMES = st.lists(WORD, min_size=1, max_size=3).map(" ".join)


@given(
    name=NAMES,
    shape=st.sampled_from(
        [
            "P{n} ({name}, {age}, part-time student): I order at night.",
            "{name} (P{n}): I order at night.",
            "R{n} – {name}: I order at night.",
            "Participant {n} ({name}): I order at night.",
            "<v {name}>I order at night.</v>",
            "{name} ({age}, nurse)",
        ]
    ),
    n=st.integers(1, 99),
    age=st.integers(18, 90),
)
def test_any_name_in_a_structured_label_is_found_and_hidden(
    name: str, shape: str, n: int, age: int
) -> None:
    """No names list decides: invented names in structured labels are always found."""
    assume(not any(is_generic(word) for word in name.split()))
    line = shape.format(name=name, n=f"{n:02d}", age=age)
    found = collect_names([Passage("t.txt", "line 1", line)])
    assert found == [name]
    redactor = Redactor(found)
    redacted = redactor.redact_data(f"{line}\nLater {name} said it again.")
    assert name not in redacted and "[PERSON_1]" in redacted
    assert redactor.restore(redacted) == f"{line}\nLater {name} said it again."

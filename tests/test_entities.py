"""The offline name pass: names found in running text, ordinary words never taken for names."""

from __future__ import annotations

from pathlib import Path

import pytest

from persona.hybrid.entities import is_ordinary, lowercase_vocabulary
from persona.hybrid.names import find_names
from persona.ingest import read_paths

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
FRESH = ROOT / "tests" / "data" / "hybrid_wire"


SAMPLE_PEOPLE = frozenset(
    {
        "José",
        "Núñez",
        "Zoë",
        "Müller",
        "François",
        "Lefèvre",
        "Jürgen",
        "Schäfer",
        "Inés",
        "Peña",
        "Chloé",
        "Dubois",
        "Björn",
        "Åkesson",
        "Siobhán",
        "O’Brien",
        "Sofía",
        "Ruiz",
        "Noël",
        "Girard",
        "Lindqvist",
        "Renée",
        "Fournier",
        "Íñigo",
        "Etxeberria",
        "Dörte",
        "Krüger",
        "Raúl",
        "Domínguez",
        "Léa",
        "Moreau",
        "Günter",
        "Vogel",
        "Malgorzata",
        "Nowak",
        "Sébastien",
        "Côté",
        "Ayse",
        "Demir",
        "Gonzalez",
        "Maria",
        "Tom",
        "Becker",
        "Anna",
        "Okafor",
        "Priya",
        "Nair",
    }
)
"""Every first and last name in samples/."""


def texts(folder: Path) -> list[str]:
    """The English study's passages (samples/languages/ holds studies in other languages)."""
    passages = read_paths([str(folder)]).passages
    return [p.text for p in passages if not p.source.startswith("languages/")]


def capitalised(word: str) -> str:
    return word[:1].upper() + word[1:]


@pytest.mark.parametrize(
    "sentence",
    [
        "Text in the app is too small.",
        "I am a nurse at the children's hospital.",
        "Sunday is when we order.",
        "Children's menus are confusing.",
        "Hospital staff order at night.",
        "Favourites moved after the update.",
        "Groceries arrive late. Kids complain. Okay, fine.",
        "The UX of the NHS app and my iPhone and PhD are fine.",
        "Euros, not dollars. Paid twice!",
        "Shopping, ordered, cheaper, happily, deliveries.",
    ],
)
def test_ordinary_words_are_never_names(sentence):
    assert find_names([sentence]) == []


@pytest.mark.parametrize(
    ("sentence", "names"),
    [
        ("Priya: I compare prices.", ["Priya"]),
        ("my daughter Anna set it up", ["Anna"]),
        ("I asked Dr Okafor about it", ["Okafor"]),
        ("Siobhán O’Brien called", ["Siobhán", "O’Brien", "Siobhán O’Brien"]),
        ("ask McDonald first", ["McDonald"]),
        ("Jonas's phone", ["Jonas"]),
    ],
)
def test_names_are_found(sentence, names):
    assert find_names([sentence]) == names


def test_the_samples_vocabulary_gives_no_false_names():
    """Every word the samples write in lower case, capitalised at a sentence start, with the
    study vocabulary minus that very word (as if it were only ever written capitalised)."""
    sample_texts = texts(SAMPLES)
    vocabulary = lowercase_vocabulary(sample_texts)
    assert len(vocabulary) > 500
    false_names = [
        word
        for word in sorted(vocabulary)
        if find_names([f"{capitalised(word)} is what they said."], vocabulary - {word})
    ]
    assert false_names == []


def test_every_capitalised_word_of_the_samples_that_is_found_is_a_person():
    found = set(find_names(sample_texts := texts(SAMPLES), lowercase_vocabulary(sample_texts)))
    words = {name for name in found if " " not in name}
    not_people = words - SAMPLE_PEOPLE - {"Anne"}  # St. Anne's hospital, named after a person
    assert not_people == set()


def test_fresh_data_names_are_found_and_its_ordinary_words_are_not():
    fresh = texts(FRESH)
    found = set(find_names(fresh, lowercase_vocabulary(fresh)))
    for name in ("Chidi", "Okonkwo", "Ngozi", "Harriet", "Lindgren", "Beatriz", "Ferreira"):
        assert name in found, name
    for name in ("Kwame", "Saoirse"):
        assert name in found, name
    survey = next(d for d in read_paths([str(FRESH)]).documents if d.name.endswith(".csv"))
    for name in ("Wojciech Zielinski", "Aroha Ngata", "Dmitri Volkov"):  # its full_name column
        assert name in survey.identifiers and not any(name in text for text in fresh), name
    for word in ("Text", "Sunday", "Moderator", "Honestly", "Pharmacy", "Participant"):
        assert word not in found, word


def test_is_ordinary_knows_inflections_and_british_spellings():
    for word in ("children's", "favourites", "colour", "shopping", "happily", "didn't"):
        assert is_ordinary(word), word
    for word in ("Okonkwo", "Saoirse"):
        assert not is_ordinary(word), word

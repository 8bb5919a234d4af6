"""Redaction in German and Spanish studies: names hidden, ordinary words never."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from persona.hybrid.names import find_names, known_names
from persona.hybrid.redact import redactor_for
from persona.ingest import read_paths

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ROOT / "samples" / "languages"
PSEUDONYM = re.compile(r"\[[A-Z]+_\d+\]")
WORD = re.compile(r"[^\W\d_]+")

NAMES = {
    "de": {"Anna", "Schmidt", "Klaus", "Weber"},
    "es": {"Lucía", "Romero", "Javier", "Ortega"},
}


@pytest.mark.parametrize("code", ["de", "es"])
def test_every_ordinary_word_of_the_sample_study_stays_and_its_names_go(code: str) -> None:
    passages = read_paths([LANGUAGES / code]).passages
    texts = [p.text for p in passages]
    persona = {"name": "Erfunden", "participants": [], "bio": " ".join(texts[:6])}
    redactor = redactor_for(passages, [texts, persona])
    for text in texts:
        redacted = redactor.redact_data(text)
        kept = WORD.findall(PSEUDONYM.sub(" ", redacted))
        expected = [w for w in WORD.findall(text) if w not in NAMES[code]]
        assert kept == expected, (text, redacted)  # every other word, capitalised or not
        assert not NAMES[code] & set(kept)
    hidden = set(redactor.mapping.values())
    assert {n for n in NAMES[code] if any(n in t for t in texts)} <= {
        part for value in hidden for part in value.split()
    }
    capitalised = {w for t in texts for w in WORD.findall(t) if w[0].isupper()}
    assert len(capitalised - NAMES[code]) > 20  # the test covers many capitalised words


def test_german_names_in_speech_are_hidden_and_nouns_that_are_names_too_are_not() -> None:
    texts = [
        "Meine Tochter Lena mag das nicht, und Herr Becker hat gestern angerufen.",
        "Der Wolf im Märchen hat mir im Ernst Angst gemacht, sagt sie.",
        "Weil meine Tochter Gluten nicht verträgt, bestelle ich mit Jonas zusammen.",
        "Am Kai gibt es einen Markt; Frau Yilmaz verkauft dort Rosen im August.",
    ]
    found = set(find_names(texts, frozenset(), "German"))
    assert {"Lena", "Becker", "Jonas", "Yilmaz"} <= found
    for word in ("Wolf", "Ernst", "Kai", "August", "Tochter", "Gluten", "Markt", "Märchen"):
        assert word not in found, word
    assert {"Wolf", "Ernst", "Kai"} <= known_names("German")[0]  # names that are nouns too


def test_spanish_names_in_speech_are_hidden_and_sentence_starts_are_not() -> None:
    texts = [
        "Mi hija Carmen y yo vamos al mercado los sábados.",
        "Ayer hablé con Rosa en Mercadona sobre el pedido.",
        "También pido por la aplicación. Vivo sola. Elijo la mañana.",
        "Pago con tarjeta y el repartidor se llama Pedro Sánchez.",
    ]
    found = set(find_names(texts, frozenset({"pido", "vivo"}), "Spanish"))
    assert {"Carmen", "Rosa", "Mercadona", "Pedro", "Pedro Sánchez"} <= found
    for word in ("Mi", "Ayer", "También", "Vivo", "Elijo", "Pago"):
        assert word not in found, word


def test_the_study_language_is_detected_and_english_studies_keep_the_english_pass() -> None:
    german = read_paths([LANGUAGES / "de"]).passages
    text = "Die Ersatzprodukte und die Lieferfenster ärgern Anna."
    assert redactor_for(german, [text]).redact_data(text).startswith("Die Ersatzprodukte und die ")
    english = read_paths([ROOT / "samples" / "interviews"]).passages
    told = redactor_for(english, [text], language="German").redact_data(text)
    assert "Ersatzprodukte" in told and "Lieferfenster" in told
    guessed = redactor_for(english, [text]).redact_data(text)  # the English pass: unknown words
    assert "Ersatzprodukte" not in guessed

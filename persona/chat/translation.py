"""Questions in another language than the study's: translated for retrieval, one short call.

Passages are searched by their words (:mod:`persona.chat.retrieval`), so an English
question finds nothing in a German study. When a chat question is in another language
(:func:`in_other_language`), the local model translates it into the study's language
(:func:`translate`); the translation is only what is searched for: the persona still answers
the question as asked, in its language, and still declines what the passages do not answer.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from persona.chat.options import call_options
from persona.chat.retrieval import Retriever
from persona.engines.base import ChatMessage, Engine, Usage
from persona.generation.answers import read_object
from persona.generation.language import Detected, detect_text

CONFIDENT = 0.9
"""Detection confidence above which a question's language is taken as told."""
KNOWN_SHARE = 0.5
"""Below this share of its words occurring in the study, an unsure question is foreign."""
TRANSLATION_TOKENS = 160
MAX_QUESTION_CHARS = 600

SYSTEM = (
    "You translate a UX researcher's question into {language} so it can be searched for in "
    "interviews written in {language}. Translate the meaning faithfully and naturally; keep "
    "names, product names and numbers; do not answer the question or add anything. Answer "
    'with JSON only: {{"translation": "..."}}.'
)


class Translation(BaseModel):
    """What the model returns."""

    translation: str = Field(max_length=2 * MAX_QUESTION_CHARS)


SCHEMA = {
    "type": "object",
    "properties": {"translation": {"type": "string"}},
    "required": ["translation"],
}


def in_other_language(question: str, study: str | None, retriever: Retriever) -> Detected | None:
    """The question's language when it is not the study's ``study`` language, else None.

    Short questions are hard to tell apart ("When do you order?" reads as German to a
    trigram model), so an unsure detection falls back to the study's own words: a question
    in the study's language shares at least its little words with it.
    """
    if study is None:
        return None
    detected = detect_text(question)
    if detected.language is not None and detected.confidence >= CONFIDENT:
        return detected if detected.language != study else None
    if retriever.known_share(question) >= KNOWN_SHARE:
        return None
    return Detected(None, detected.confidence)


def translate(engine: Engine, model: str, question: str, language: str) -> str:
    """``question`` in ``language`` as the model translates it ("" when its answer cannot be
    read)."""
    messages: list[ChatMessage] = [
        {"role": "system", "content": SYSTEM.format(language=language)},
        {"role": "user", "content": question[:MAX_QUESTION_CHARS]},
    ]
    options = call_options(engine, model, messages, TRANSLATION_TOKENS, temperature=0.0)
    raw = "".join(
        piece
        for piece in engine.chat(model, messages, schema=SCHEMA, options=options)
        if not isinstance(piece, Usage)
    )
    answer, _problems = read_object(raw, Translation)
    return " ".join(answer.translation.split()) if answer else ""

"""Which language a study is written in, so personas are written in it too.

Detection uses lingua over a bounded set of languages (:data:`LANGUAGES`) in its low-accuracy
mode, which reads trigrams only: it is plenty for a study's worth of text, loads in under a
second instead of four or more and peaks under 100 MB instead of about 440
(``bench/language_detect.py`` measures it). The detector is built once per process.
Languages are named in English (``"German"``), the way the model is told which language to
write in.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import lru_cache

from lingua import Language, LanguageDetector, LanguageDetectorBuilder

from persona.core.documents import Passage
from persona.generation.request import GenerationRequest

_CANDIDATES: tuple[Language, ...] = (
    Language.ENGLISH,
    Language.GERMAN,
    Language.SPANISH,
    Language.FRENCH,
    Language.ITALIAN,
    Language.PORTUGUESE,
    Language.DUTCH,
    Language.SWEDISH,
    Language.DANISH,
    Language.POLISH,
    Language.TURKISH,
    Language.RUSSIAN,
    Language.JAPANESE,
    Language.CHINESE,
    Language.KOREAN,
)
LANGUAGES: tuple[str, ...] = tuple(language.name.title() for language in _CANDIDATES)
"""The languages Persona recognises and offers to write personas in."""
DEFAULT_LANGUAGE = "English"
"""Used when the study's language cannot be told (too little text, mixed languages)."""
SAMPLE_CHARS = 6000
"""Detection reads about this much text, spread over the whole study."""


@dataclass(frozen=True)
class Detected:
    """The study's language, or ``None`` when it could not be told with confidence."""

    language: str | None
    confidence: float

    @property
    def label(self) -> str:
        """E.g. ``German (detected, 98%)`` or ``not detected``."""
        if self.language is None:
            return "not detected"
        return f"{self.language} (detected, {self.confidence:.0%})"


@lru_cache(maxsize=1)
def detector() -> LanguageDetector:
    """The detector for :data:`LANGUAGES`, its models loaded once per process."""
    return (
        LanguageDetectorBuilder.from_languages(*_CANDIDATES)
        .with_low_accuracy_mode()
        .with_preloaded_language_models()
        .build()
    )


def sample(passages: Iterable[Passage], limit: int = SAMPLE_CHARS) -> str:
    """Up to ``limit`` characters of participants' words, taken evenly across the study."""
    texts = [p.text for p in passages if p.citable and p.text.strip()]
    if not texts:
        return ""
    total = sum(len(t) for t in texts)
    step = max(1, round(total / limit)) if total > limit else 1
    picked, size = [], 0
    for text in texts[::step]:
        picked.append(text)
        size += len(text)
        if size >= limit:
            break
    return "\n".join(picked)


def detect_language(passages: Iterable[Passage]) -> Detected:
    """The language most of the study is written in."""
    return detect_text(sample(passages))


def detect_text(text: str) -> Detected:
    """The language of ``text`` (a study's sample, or one question: short text is told with
    less confidence, so callers check :attr:`Detected.confidence`)."""
    if not text.strip():
        return Detected(None, 0.0)
    found = detector().detect_language_of(text)
    if found is None:
        return Detected(None, 0.0)
    confidence = detector().compute_language_confidence(text, found)
    return Detected(found.name.title(), confidence)


def with_language(request: GenerationRequest, passages: Iterable[Passage]) -> GenerationRequest:
    """``request`` with its language set: as chosen, else the study's, else English."""
    if request.language.strip():
        return request
    found = detect_language(passages).language
    return replace(request, language=found or DEFAULT_LANGUAGE)

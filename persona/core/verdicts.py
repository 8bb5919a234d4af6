"""The verdicts Persona shows: is a quote in your data, is a persona usable, how a run went.

Each verdict is computed here, once, with its words; every face (the cards, the Hybrid review,
History, the CLI and each export) shows these, never its own reading of the flags.

- A quote is **in your data** only when verification found it word for word
  (:mod:`persona.generation.evidence`); otherwise it is **not found**, or **not checked** when
  it was never checked. Weak support (the quote shares little with its claim) is a separate
  note, never a reason to call a word-for-word quote "not found".
- A persona is **usable** or **unusable** with the reasons :mod:`persona.generation.checks`
  wrote to ``Persona.unusable``. An unusable persona's quotes keep their own verdict.
- A run's summary counts usable personas and quotes in your data separately:
  ``2 usable personas of 3 · 26 of 26 quotes in your data``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from persona.core.schema import Evidence, Persona

Found = Literal["in your data", "not found", "not checked"]
"""Where a quote stands: found word for word, not found, or never checked."""

LABELS: dict[Found, str] = {
    "in your data": "in your data",
    "not found": "not found in your data",
    "not checked": "not checked against your data",
}
"""How each verdict is said, everywhere."""
MARKS: dict[Found, str] = {"in your data": "✓", "not found": "⚠", "not checked": "⚠"}
WEAK = "weak support: the quote shares little with its claim"
SPAN_FALLBACK = "the model's span was not in the passage, so all of it is quoted"
USABLE = "usable"
UNUSABLE = "unusable"


@dataclass(frozen=True)
class QuoteVerdict:
    """The verdict on one quote, with the notes that go with it."""

    found: Found
    weak: bool = False
    """The quote shares (almost) nothing with the claim it is cited for."""
    span_fallback: bool = False
    """The model's span was not in its passage, so the whole passage is quoted."""

    @property
    def in_data(self) -> bool:
        return self.found == "in your data"

    @property
    def label(self) -> str:
        """E.g. ``in your data`` or ``not found in your data``."""
        return LABELS[self.found]

    @property
    def text(self) -> str:
        """The label with its mark, e.g. ``✓ in your data``."""
        return f"{MARKS[self.found]} {self.label}"

    @property
    def notes(self) -> tuple[str, ...]:
        """Weak support and span fallback, in words (empty when there are none)."""
        return tuple(
            note for note, on in ((WEAK, self.weak), (SPAN_FALLBACK, self.span_fallback)) if on
        )


def cite(evidence: Evidence) -> tuple[str, str]:
    """(source, locator) of a quote: where verification found it, else what the model said."""
    if evidence.verified and evidence.matched_source:
        return evidence.matched_source, evidence.matched_locator or ""
    return evidence.source, evidence.locator


def quote_verdict(evidence: Evidence) -> QuoteVerdict:
    """The verdict on ``evidence``: in your data only when it was found word for word."""
    found: Found = (
        "not checked"
        if evidence.verified is None
        else "in your data"
        if evidence.verified
        else "not found"
    )
    return QuoteVerdict(found, bool(evidence.weak_support), evidence.span_fallback)


@dataclass(frozen=True)
class PersonaStatus:
    """Whether a persona can be used, and why not."""

    reasons: tuple[str, ...] = ()

    @property
    def usable(self) -> bool:
        return not self.reasons

    @property
    def label(self) -> str:
        """``usable`` or ``unusable``."""
        return USABLE if self.usable else UNUSABLE

    @property
    def text(self) -> str:
        """``usable``, or ``unusable: <reasons>``."""
        return self.label if self.usable else f"{UNUSABLE}: {'; '.join(self.reasons)}"

    @property
    def title(self) -> str:
        """:attr:`text` as a heading: ``Unusable: <reasons>``."""
        return self.text[:1].upper() + self.text[1:]


def persona_status(persona: Persona) -> PersonaStatus:
    """Usable, or unusable with the reasons the checks wrote to ``persona.unusable``."""
    return PersonaStatus(tuple(persona.unusable))


@dataclass(frozen=True)
class RunSummary:
    """Usable personas and quotes in your data, counted separately."""

    personas: int
    usable: int
    quotes: int
    found: int
    """Quotes in your data (of every persona, usable or not)."""
    checked: int
    """Quotes that were checked at all (``found`` and the not found)."""

    @property
    def text(self) -> str:
        """E.g. ``2 usable personas of 3 · 26 of 26 quotes in your data``."""
        if not self.personas:
            return "No personas"
        return f"{self.personas_text} · {self.quotes_text}"

    @property
    def personas_text(self) -> str:
        """E.g. ``2 usable personas of 3``."""
        noun = "persona" if self.usable == 1 else "personas"
        return f"{self.usable} usable {noun} of {self.personas}"

    @property
    def quotes_text(self) -> str:
        """E.g. ``26 of 26 quotes in your data``."""
        noun = "quote" if self.quotes == 1 else "quotes"
        if not self.quotes:
            return "no quotes"
        if not self.checked:
            return f"{self.quotes} {noun}, {LABELS['not checked']}"
        return f"{self.found} of {self.quotes} {noun} {LABELS['in your data']}"


def run_summary(personas: Iterable[Persona]) -> RunSummary:
    """Count usable personas and quotes in your data (an unusable persona's quotes count by
    their own verdict, representative quotes included)."""
    shown = list(personas)
    verdicts = [quote_verdict(ev) for p in shown for ev in p.all_evidence()]
    return RunSummary(
        personas=len(shown),
        usable=sum(persona_status(p).usable for p in shown),
        quotes=len(verdicts),
        found=sum(v.in_data for v in verdicts),
        checked=sum(v.found != "not checked" for v in verdicts),
    )

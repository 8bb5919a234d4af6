"""Evidence by reference: the model cites passage IDs, Persona fills in the words.

The schema the model answers in (:class:`DraftSet`, :class:`Findings`) asks for passage IDs
per claim and for the representative quote, optionally with a short exact span. Where the
engine honours a JSON-schema ``enum``, the ID fields only allow the IDs of that prompt
(:func:`with_ids`). :func:`resolve` turns a draft into a :class:`~persona.core.schema.Persona`
whose quotes, sources and locators come from Persona's own passages, so every quote is word for
word by construction; unknown IDs are dropped and counted, a span not in its passage falls back
to the whole passage (flagged), and a quote that shares nothing with its claim is marked weak.
"""

from __future__ import annotations

import copy
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema
from rapidfuzz import fuzz

from persona.core.documents import Passage
from persona.core.schema import (
    CLAIM_SECTIONS,
    Claim,
    Evidence,
    Persona,
    PersonaFields,
    limited,
    llm_json_schema,
    soft_list,
    trimmed,
)
from persona.core.words import terms, unspaced

MAX_CITED = 3
"""Passages one claim or finding may cite."""
STATEMENT_CHARS = 160
WEAK_SUPPORT = 55.0
"""Below this rapidfuzz partial ratio, with no content word in common, support is weak."""

Ids = Annotated[list[str], soft_list(MAX_CITED)]


def _ids(description: str) -> Any:
    return Field(
        default_factory=list,
        description=description,
        json_schema_extra={"minItems": 1, "maxItems": MAX_CITED},
    )


class CitedClaim(BaseModel):
    """A claim as the model writes it: a sentence and the IDs of the passages behind it."""

    model_config = ConfigDict(extra="ignore")

    text: Annotated[
        str, trimmed(300), Field(description=limited("The statement, one full sentence.", 300))
    ]
    passages: Ids = _ids("IDs of 1 to 3 passages (such as P12) where participants say this.")


class QuoteRef(BaseModel):
    """The representative quote: a passage ID and, optionally, an exact part of it."""

    model_config = ConfigDict(extra="ignore")

    passage: str = Field(description="ID of the passage with the most representative words.")
    span: Annotated[
        str,
        trimmed(200),
        Field(
            description=limited(
                "Optionally a short part of that passage, copied exactly; empty for all of it.",
                200,
            )
        ),
    ] = ""


# Persona's fields, with claims that cite passage IDs and a quote that names a passage; only
# what the model is told about names differs. Who a persona is based on is not asked: Persona
# fills it in from the passages it cites (:func:`resolve`). (The docstring below is part of the
# schema the model is sent.)
class DraftPersona(PersonaFields[CitedClaim, QuoteRef]):
    """A persona as the model writes it (by reference)."""

    name: Annotated[
        str,
        trimmed(100),
        Field(description=limited("An invented first and last name, never a participant's.", 100)),
    ]


class DraftSet(BaseModel):
    model_config = ConfigDict(extra="ignore")

    personas: list[DraftPersona] = Field(min_length=1, max_length=10)


Kind = Literal["goal", "pain point", "behaviour", "motivation"]


def _text_or_nothing(value: Any) -> str:
    return value if isinstance(value, str) else ""


class Finding(BaseModel):
    """One observation from a chunk of data and the passages that show it."""

    model_config = ConfigDict(extra="ignore")

    kind: Kind = Field(description="goal, pain point, behaviour or motivation")
    statement: Annotated[
        str, trimmed(STATEMENT_CHARS), Field(description=limited("One sentence.", STATEMENT_CHARS))
    ]
    passages: Ids = _ids("IDs of 1 to 3 passages (such as P12) that show it.")
    participant: SkipJsonSchema[Annotated[str, BeforeValidator(_text_or_nothing)]] = ""
    """Who said it: the participants of the cited passages (:func:`participants_of`), filled
    in by Persona, never asked of the model (whatever a model writes there is overwritten)."""


class Findings(BaseModel):
    model_config = ConfigDict(extra="ignore")

    findings: list[Finding] = Field(default_factory=list)


def with_ids(
    schema: Mapping[str, Any], ids: Sequence[str], *, enum: bool, items: int | None = None
) -> dict[str, Any]:
    """``schema`` with its passage-ID fields limited to ``ids`` (when ``enum``) and its top
    list (personas or findings) limited to ``items``."""
    out = copy.deepcopy(dict(schema))
    allowed = list(dict.fromkeys(ids))

    def visit(node: Any, key: str) -> None:
        if isinstance(node, dict):
            props = node.get("properties")
            if isinstance(props, dict):
                for name, sub in props.items():
                    if name == "passages" and isinstance(sub, dict) and enum and allowed:
                        sub["items"] = {"type": "string", "enum": allowed}
                    elif name == "passage" and isinstance(sub, dict) and enum and allowed:
                        sub["enum"] = allowed
                    visit(sub, name)
            for name, sub in node.items():
                if name != "properties":
                    visit(sub, name)
        elif isinstance(node, list):
            for sub in node:
                visit(sub, key)

    visit(out, "")
    if items is not None:
        for key in ("personas", "findings"):
            top = out.get("properties", {}).get(key)
            if isinstance(top, dict):
                top["maxItems"] = items
    return out


DRAFT_SCHEMA = llm_json_schema(DraftSet)
FINDINGS_SCHEMA = llm_json_schema(Findings)


@dataclass
class Resolution:
    """What :func:`resolve` noticed while filling in a draft's evidence."""

    unknown_ids: int = 0
    span_fallbacks: int = 0
    weak: int = 0
    notes: list[str] = field(default_factory=list)


def resolve(
    draft: DraftPersona, passages: Mapping[str, Passage], allowed: Iterable[str] | None = None
) -> tuple[Persona, Resolution]:
    """The persona with evidence filled in from ``passages`` (by ID).

    ``allowed`` limits the IDs that count (those shown to the model in that prompt); others,
    and IDs of context lines, are dropped and counted.
    """
    permitted = set(allowed) if allowed is not None else set(passages)
    found = Resolution()

    def lookup(raw: str) -> Passage | None:
        key = raw.strip().strip("[]()").upper()
        passage = passages.get(key)
        if passage is None or not passage.citable or key not in permitted:
            found.unknown_ids += 1
            return None
        return passage

    sections: dict[str, list[Claim]] = {}
    for section in CLAIM_SECTIONS:
        claims = []
        for cited in getattr(draft, section):
            evidence: list[Evidence] = []
            for raw in dict.fromkeys(cited.passages):
                passage = lookup(raw)
                if passage is not None:
                    weak = weak_support(cited.text, passage.text)
                    evidence.append(passage_evidence(passage, weak=weak))
            found.weak += sum(bool(e.weak_support) for e in evidence)
            claims.append(Claim(text=cited.text, evidence=evidence))
        sections[section] = claims
    passage = lookup(draft.quote.passage)
    if passage is None:
        quote = _fallback_quote(sections)
    else:
        quote = passage_evidence(passage, weak=None)
        if draft.quote.span.strip():
            exact = find_span(draft.quote.span, passage.text)
            if exact is None:
                quote.span_fallback = True
                found.span_fallbacks += 1
            else:
                quote.quote = exact
    persona = Persona(
        name=draft.name,
        age=draft.age,
        role=draft.role,
        bio=draft.bio,
        goals=sections["goals"],
        pain_points=sections["pain_points"],
        behaviours=sections["behaviours"],
        motivations=sections["motivations"],
        quote=quote,
        participants=participants_of(
            [e.passage or "" for claims in sections.values() for c in claims for e in c.evidence]
            + [quote.passage or ""],
            passages,
        ),
    )
    return persona, found


def participant_names(passages: Iterable[Passage]) -> list[str]:
    """The speakers and respondents of the study (what persona names must not be)."""
    return list(dict.fromkeys(p.participant for p in passages if p.citable and p.participant))


def participants_of(ids: Iterable[str], passages: Mapping[str, Passage]) -> list[str]:
    """Who said the passages ``ids`` name: each participant once, the most cited first (then
    in order of first citation). This is who a persona or finding is based on."""
    return who_said(p for i in ids if (p := passages.get(i)) is not None)


def who_said(passages: Iterable[Passage]) -> list[str]:
    """The participants of ``passages``: each once, the most cited first (then in order of
    first citation)."""
    said = [p.participant for p in passages if p.participant]
    counts = Counter(said)
    return sorted(dict.fromkeys(said), key=lambda who: -counts[who])


def passage_evidence(passage: Passage, *, weak: bool | None) -> Evidence:
    """A quote that is the whole of ``passage``, word for word, with its place and ID."""
    return Evidence(
        quote=passage.text,
        source=passage.source,
        locator=passage.locator,
        passage=passage.id,
        weak_support=weak,
    )


def _fallback_quote(sections: Mapping[str, list[Claim]]) -> Evidence:
    """The first cited passage stands in when the representative quote's ID is unknown."""
    for claims in sections.values():
        for claim in claims:
            if claim.evidence:
                return claim.evidence[0].model_copy(update={"weak_support": None})
    return Evidence(quote="")


def find_span(span: str, text: str) -> str | None:
    """``span`` as it is written in ``text`` (case, spacing and punctuation between words may
    differ), or None when its words do not occur there in order."""
    words = re.findall(r"[^\W_]+", span)
    if not words:
        return None
    pattern = r"(?<![^\W_])" + r"[\W_]+".join(map(re.escape, words)) + r"(?![^\W_])"
    match = re.search(pattern, text, re.IGNORECASE)
    return match.group(0) if match else None


STOP_WORDS = frozenset(
    [
        "about",
        "after",
        "again",
        "also",
        "always",
        "because",
        "been",
        "before",
        "being",
        "could",
        "does",
        "doing",
        "from",
        "have",
        "having",
        "into",
        "just",
        "like",
        "more",
        "most",
        "much",
        "only",
        "other",
        "over",
        "same",
        "some",
        "such",
        "than",
        "that",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "very",
        "what",
        "when",
        "where",
        "which",
        "while",
        "with",
        "would",
        "your",
        "yours",
        "will",
        "shall",
        "should",
        "their",
        "theirs",
    ]
)


_KANA = re.compile("[\u3040-\u309f]+")


def _stems(text: str) -> set[str]:
    """Content words (their first five letters) and, in scripts written without spaces, pairs
    of characters other than hiragana only (:func:`~persona.core.words.terms`): what a claim
    and its quote share."""
    found = set()
    for term in terms(text):
        if unspaced(term):
            if not _KANA.fullmatch(term):  # pairs of hiragana are grammar ("した"), not content
                found.add(term)
        elif len(term) >= 4 and term.isalpha() and term not in STOP_WORDS:
            found.add(term[:5])
    return found


def weak_support(claim: str, passage: str) -> bool:
    """True when the passage shares no content word with the claim and little text."""
    if _stems(claim) & _stems(passage):
        return False
    return fuzz.partial_ratio(claim.casefold(), passage.casefold()) < WEAK_SUPPORT

"""What may leave the machine for one draft, by reference, and the request that carries it.

A usable draft is sent as its wording with the passage IDs each claim cites, next to those
passages (ID and text, and only passages a participant said): Claude rewrites the wording and
may re-assign or drop citations among them, and never types a quote. An unusable draft is
never sent as a good one: it goes with the problems the checks found (each claim that breaks
a rule names its own), to be repaired: Claude fixes what is named and keeps the rest, answering
only what changes (:mod:`.changes`), instead of writing the whole persona anew. The payload is
redacted as a whole afterwards (:func:`persona.hybrid.redact.redactor_for`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from persona.core.documents import Passage
from persona.core.schema import CLAIM_SECTIONS, MAX_CLAIMS, Evidence, Persona
from persona.generation.degenerate import MIN_CLAIM_WORDS, claim_problems
from persona.generation.references import MAX_CITED, find_span
from persona.hybrid.caching import Shared
from persona.hybrid.changes import CHANGES_RULES, REPAIR_RULES, output_format
from persona.hybrid.compact import compact_json
from persona.hybrid.messages import Request

Mode = Literal["refine", "repair"]
"""``refine``: improve a usable draft; ``repair``: fix the problems that make a draft unusable."""

MODE_LABELS: dict[Mode, str] = {
    "refine": "refine the draft",
    "repair": "repair the problems Persona found (the draft is unusable)",
}

UNCITED = "none of the passages it cites is in your data as a participant's words"
"""The problem of a claim of an unusable draft whose citations were all withheld."""

_RANGE = "–"
"""How :mod:`persona.generation.evidence` joins the locators of a quote across passages."""

SYSTEM = f"""\
You improve UX personas drafted from interview and survey passages. Never write quotes: cite \
passages by ID (such as P12) and Persona quotes them word for word. Your answer is checked; \
what breaks a rule is dropped or makes the persona unusable:
1. Cite only IDs given in the request, 1 to {MAX_CITED} per claim; the representative quote \
is one of them.
2. Each claim is one sentence of at least {MIN_CLAIM_WORDS} words that its passages show, in \
words they share; never add a number, name, place, price or date they lack. Drop claims \
nothing supports.
3. No claim repeats another (in any section), the name, the role or the bio; none is only a \
number, an ID or placeholder text.
4. No passage backs more than half of the claims.
5. At least one goal, pain point and behaviour, at most {MAX_CLAIMS} per section; the role \
and the bio are never empty.
6. The name is an invented first and last name: never a participant's, a pseudonym or a \
file name.
7. Keep pseudonyms such as [PERSON_1], [FILE_2] or [EMAIL_3] exactly as written: they stand \
for redacted personal data."""

REQUESTS: dict[Mode, str] = {
    "refine": (
        "Refine this draft persona. Each claim lists the IDs of the passages that back it. "
        "Make the wording clearer, more specific and consistent; keep, re-assign or drop "
        "citations among the passages given; drop claims they do not support. " + CHANGES_RULES
    ),
    "repair": (
        "Repair this draft persona: Persona's checks found it unusable, for the problems "
        "listed; a claim that breaks a rule names its problem. " + REPAIR_RULES + CHANGES_RULES
    ),
}


@dataclass(frozen=True)
class Payload:
    """The data sent for one draft (before redaction) and what it was built from."""

    data: dict[str, Any]
    mode: Mode
    ids: list[str]
    """The IDs of the passages sent: the only ones the answer may cite."""
    withheld: int
    """Citations not sent: their passage was not found word for word, or a participant did
    not say it (an interviewer's question, a heading)."""


def passages_of(
    evidence: Evidence,
    by_id: Mapping[str, Passage],
    by_place: Mapping[tuple[str, str], Passage],
) -> list[Passage]:
    """The passages ``evidence`` quotes: its passage ID when that passage is at the place it
    names, else the passage at its place that holds the quote word for word, else the
    passages its verified match names. Empty when none is found."""
    known = by_id.get(evidence.passage or "")
    if known is not None and (known.source, known.locator) == (evidence.source, evidence.locator):
        return [known]
    placed = by_place.get((evidence.source, evidence.locator))
    if placed is not None and evidence.quote.strip() and find_span(evidence.quote, placed.text):
        return [placed]
    if evidence.verified is True and evidence.matched_source:
        ends = (evidence.matched_locator or "").split(_RANGE)
        return [p for end in ends if (p := by_place.get((evidence.matched_source, end)))]
    return []


def build_payload(persona: Persona, passages: Sequence[Passage]) -> Payload:
    """What is sent for ``persona`` (see the module docstring); ``passages`` carry IDs."""
    by_id = {p.id: p for p in passages}
    by_place = {(p.source, p.locator): p for p in passages}
    sent: dict[str, Passage] = {}
    withheld = 0

    def cite(evidence: Evidence) -> list[str]:
        nonlocal withheld
        found = [p for p in passages_of(evidence, by_id, by_place) if p.citable]
        if not found:
            withheld += 1
        for passage in found:
            sent.setdefault(passage.id, passage)
        return [p.id for p in found]

    sections = {
        section: [
            {
                "text": claim.text,
                "passages": list(dict.fromkeys(i for e in claim.evidence for i in cite(e))),
            }
            for claim in getattr(persona, section)
        ]
        for section in CLAIM_SECTIONS
    }
    quote = cite(persona.quote) if persona.quote.quote.strip() else []
    mode: Mode = "repair" if persona.unusable else "refine"
    listed = [{"id": p.id, "text": p.text} for p in sent.values()]
    draft: dict[str, Any] = {
        "name": persona.name,
        "age": persona.age,
        "role": persona.role,
        "bio": persona.bio,
        **sections,
    }
    if quote:
        draft["quote"] = {"passage": quote[0]}
    if mode == "refine":
        return Payload({"persona": draft, "passages": listed}, mode, list(sent), withheld)
    claims = [claim for section in CLAIM_SECTIONS for claim in draft[section]]
    for claim, problem in zip(claims, claim_problems(persona), strict=True):
        if problem or not claim["passages"]:
            claim["problem"] = problem or UNCITED
    data = {"problems": list(persona.unusable), "persona": draft, "passages": listed}
    return Payload(data, mode, list(sent), withheld)


def request_text(data: Mapping[str, Any], mode: Mode) -> str:
    """The user message for a (redacted) payload."""
    body = compact_json(data)
    return f"{REQUESTS[mode]}\n\n<data>\n{body}\n</data>"


def request_messages(data: Mapping[str, Any], mode: Mode) -> list[dict[str, Any]]:
    """The conversation a refinement opens with."""
    return [{"role": "user", "content": request_text(data, mode)}]


def build_request(
    data: Mapping[str, Any],
    *,
    mode: Mode = "refine",
    system: str = SYSTEM,
    model: str,
    shared: Shared | None = None,
) -> Request:
    """The request that refines the payload ``data`` (see :meth:`FrontierClient.refine`)."""
    if shared is None:
        ids = [str(p.get("id", "")) for p in data.get("passages", []) if isinstance(p, Mapping)]
        return Request(model, system, request_messages(data, mode), output_format(ids))
    messages = request_messages(shared.message_data(data), mode)
    return Request(model, shared.system(system), messages, output_format(shared.ids), cached=True)

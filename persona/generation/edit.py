"""A persona edited by hand: new wording, and citations picked from the study's passages.

Nothing the user types becomes a quote. A citation is named by a key (:func:`citation_key`):
a passage ID of the study, whose quote is the passage's own words exactly as for a model's
draft (:func:`~persona.generation.references.passage_evidence`), or a quote the claim already
has. The edited persona then goes through the checks every version goes through
(:func:`~persona.generation.checks.check_personas`); without the study's passages, the
verification of the quotes it kept is kept and the rest of the checks run.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from pydantic import ValidationError

from persona.core.coverage import place
from persona.core.documents import Passage
from persona.core.errors import InputError
from persona.core.schema import CLAIM_SECTIONS, Claim, Evidence, Persona
from persona.generation.checks import check_personas
from persona.generation.degenerate import degeneracy
from persona.generation.distinct import clashes
from persona.generation.references import MAX_CITED, passage_evidence, weak_support

SECTION_NAMES = {
    "goals": "goal",
    "pain_points": "pain point",
    "behaviours": "behaviour",
    "motivations": "motivation",
}
REQUIRED_SECTIONS = ("goals", "pain_points", "behaviours")
"""Sections a persona must have at least one statement in (see the schema)."""


@dataclass(frozen=True)
class ClaimEdit:
    """One statement as the user leaves it: its wording and what it cites."""

    text: str
    cites: Sequence[str] | None = None
    """Citation keys (:func:`citation_key`): passage IDs of the study, or quotes the
    statement already has. ``None`` keeps its quotes as they are."""


@dataclass(frozen=True)
class PersonaEdit:
    """What the user changed; ``None`` (or a section not named) leaves a field as it is."""

    name: str | None = None
    age: str | None = None
    role: str | None = None
    bio: str | None = None
    claims: Mapping[str, Sequence[ClaimEdit]] = field(default_factory=dict)
    """Per section, all its statements in order (they replace the section's statements)."""


def citation_key(evidence: Evidence, number: int) -> str:
    """How an edit names a quote a statement already has: its passage ID, else ``Q`` and
    its position in the statement (``Q1``, for quotes saved before passages had IDs)."""
    return evidence.passage or f"Q{number}"


def claim_keys(claim: Claim) -> list[str]:
    """The citation keys of every quote ``claim`` has, in order."""
    return [citation_key(ev, n) for n, ev in enumerate(claim.evidence, start=1)]


def unchanged_claims(persona: Persona) -> dict[str, list[ClaimEdit]]:
    """Every section of ``persona`` as edits that change nothing (to change some of them)."""
    return {
        section: [ClaimEdit(c.text) for c in getattr(persona, section)]
        for section in CLAIM_SECTIONS
    }


def _normal(key: str) -> str:
    return key.strip().strip("[]()").upper()


def apply_edit(
    persona: Persona,
    edit: PersonaEdit,
    passages: Mapping[str, Passage] | None,
    *,
    files: Sequence[str] = (),
) -> Persona:
    """``persona`` with ``edit`` applied, not yet checked (see :func:`check_edited`).

    ``passages`` (the study's, by ID) are needed only to cite a passage the statement does
    not cite yet; ``files`` names the run's files for the message that asks for them.
    Raises :class:`InputError` for an empty name or statement, an unknown passage, more
    than three citations, or a section left without statements.
    """
    unknown = set(edit.claims) - set(CLAIM_SECTIONS)
    if unknown:
        raise InputError(
            f"Unknown section {', '.join(sorted(unknown))}: use {', '.join(CLAIM_SECTIONS)}."
        )
    fields: dict[str, object] = {}
    for name in ("name", "age", "role", "bio"):
        value = getattr(edit, name)
        if value is not None:
            fields[name] = " ".join(value.split()) if name != "bio" else value.strip()
    if "name" in fields and not fields["name"]:
        raise InputError("The name is empty: give the persona an invented first and last name.")
    for section, edits in edit.claims.items():
        old: list[Claim] = getattr(persona, section)
        claims = [
            _claim(
                section,
                number,
                change,
                old[number - 1] if number <= len(old) else None,
                passages,
                files,
            )
            for number, change in enumerate(edits, start=1)
        ]
        if not claims and section in REQUIRED_SECTIONS:
            raise InputError(
                f"A persona needs at least one {SECTION_NAMES[section]}: keep one, or reword "
                "it instead of removing it."
            )
        fields[section] = claims
    try:
        return Persona.model_validate({**persona.model_dump(), **_dumped(fields)})
    except ValidationError as exc:  # limits the form and the CLI do not check themselves
        raise InputError(f"This edit cannot be saved: {exc.errors()[0]['msg']}.") from exc


def _dumped(fields: Mapping[str, object]) -> dict[str, object]:
    return {
        key: [c.model_dump() for c in value] if isinstance(value, list) else value
        for key, value in fields.items()
    }


def _claim(
    section: str,
    number: int,
    change: ClaimEdit,
    old: Claim | None,
    passages: Mapping[str, Passage] | None,
    files: Sequence[str],
) -> Claim:
    label = f"{SECTION_NAMES[section].capitalize()} {number}"
    text = " ".join(change.text.split())
    if not text:
        raise InputError(f"{label} is empty: write the statement, or remove it.")
    if change.cites is None:
        return Claim(text=text, evidence=[e.model_copy() for e in old.evidence] if old else [])
    keys = list(dict.fromkeys(_normal(k) for k in change.cites if k.strip()))
    if len(keys) > MAX_CITED:
        raise InputError(f"{label} cites {len(keys)} quotes: keep at most {MAX_CITED}.")
    kept = (
        {_normal(k): ev for k, ev in zip(claim_keys(old), old.evidence, strict=True)} if old else {}
    )
    evidence = [
        kept[k].model_copy() if k in kept else _cite(k, label, passages, files) for k in keys
    ]
    return Claim(text=text, evidence=evidence)


def _cite(
    key: str, label: str, passages: Mapping[str, Passage] | None, files: Sequence[str]
) -> Evidence:
    if passages is None:
        names = ", ".join(files) or "the run's files"
        raise InputError(
            f"To cite {key} in {label.lower()}, Persona needs the study's passages: open the "
            f"run's files again ({names}). History keeps only their fingerprints, unless you "
            "chose to keep a copy of the text. Wording can be edited without them."
        )
    passage = passages.get(key)
    if passage is None or not passage.citable:
        why = "is not something a participant said" if passage else "is not a passage of this study"
        raise InputError(
            f"{key} {why}, so {label.lower()} cannot cite it: pick one of the study's passages."
        )
    return passage_evidence(passage, weak=None)


def check_edited(
    edited: Persona,
    others: Sequence[Persona],
    passages: Sequence[Passage] | None,
    *,
    speakers: Mapping[str, str] | None = None,
) -> Persona:
    """``edited`` after the checks every version gets, next to the run's ``others``.

    With the study's ``passages`` these are exactly :func:`check_personas`'. Without them,
    each quote keeps the verification it had (a new citation needs the passages, see
    :func:`apply_edit`), support and who the persona is based on are worked out again
    (from ``speakers``, the run's place → participant), and degeneracy and distinctness
    decide ``unusable`` as always.
    """
    usable = [p for p in others if not p.unusable]
    if passages is not None:
        return check_personas([*usable, edited], passages)[-1]
    copy = edited.model_copy(deep=True)
    copy.quote.weak_support = None
    for _, claim in copy.claims():
        for evidence in claim.evidence:
            evidence.weak_support = weak_support(claim.text, evidence.quote)
    known = dict(speakers or {})
    if known:  # runs saved before Persona kept who said what keep their participants
        copy.participants = _based_on(copy.all_evidence(), known)
    copy.unusable = degeneracy(copy, known.values()) + clashes(copy, usable)
    return copy


def _based_on(evidence: Iterable[Evidence], speakers: Mapping[str, str]) -> list[str]:
    """Who said the verified quotes, by their places: the most cited first."""
    said = [
        who
        for ev in evidence
        if ev.verified
        and (
            who := speakers.get(
                place(ev.matched_source or ev.source, ev.matched_locator or ev.locator)
            )
        )
    ]
    return sorted(dict.fromkeys(said), key=lambda who: -said.count(who))

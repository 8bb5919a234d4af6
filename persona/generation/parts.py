"""A small model writes a persona part by part, each part a task it can do.

A tiny model (the built-in demo model, SmolLM2-135M) asked for a whole persona names it after
the first participant, writes claims that share no word with the passages they cite, and
cites one passage for everything. Persona does the structure instead:

* every persona is written from one group of participants (:func:`participant_groups`);
* its name, age, role, bio and representative quote come from one short call that reads
  every passage of the group with the context lines of their files (:func:`with_context`:
  the groups together hold every citable passage, so the whole study reaches the model),
  whose schema offers the name from
  a list of invented names (:func:`offered_names`): none is or contains a participant's name,
  none was used earlier in the run. The model chooses; the rule is told by the schema (an
  ``enum``) and in the prompt. In English the grammar also keeps the role to words the
  participants said (:func:`role_pattern`) and a claim to a sentence (:data:`CLAIM_PATTERN`);
* each claim section comes from its own short call that shows one of the group's passages
  (:func:`section_passages`, a different one per section) and may cite only it (an ID
  ``enum``), the ID before the sentence, so the sentence is written from the passage just
  cited, in the participant's words;
* an answer that breaks a rule (:func:`identity_problems`, :func:`claim_problems`: the rules
  :mod:`persona.generation.degenerate` checks, told to the model in the persona rules) is
  sampled again (:mod:`persona.generation.writing_parts`).

Nothing the model types is trusted: the assembled persona goes through the same
:func:`~persona.generation.references.resolve` and degeneracy checks as any other.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pydantic import ConfigDict, create_model
from rapidfuzz import fuzz

from persona.core.documents import Passage
from persona.core.schema import CLAIM_SECTIONS, llm_json_schema
from persona.core.words import words
from persona.generation.degenerate import MIN_CLAIM_WORDS, REPEATED, identifier, is_placeholder
from persona.generation.references import (
    STOP_WORDS,
    CitedClaim,
    DraftPersona,
    weak_support,
    with_ids,
)

INVENTED_NAMES: tuple[str, ...] = (
    "Alex Morgan",
    "Priya Raman",
    "Jonas Weber",
    "Amara Okafor",
    "Lucas Ferreira",
    "Mei Tanaka",
    "Daniel Novak",
    "Fatima Haddad",
    "Oliver Brandt",
    "Chloe Dubois",
    "Samuel Mensah",
    "Elena Petrova",
    "Ravi Kapoor",
    "Hannah Lindqvist",
    "Mateo Alvarez",
    "Grace Whitfield",
    "Yusuf Demir",
    "Ingrid Solberg",
    "Noah Castillo",
    "Aiko Mori",
    "Benjamin Hart",
    "Leila Farahani",
    "Tomasz Kowal",
    "Nadia Rahman",
)
"""Invented full names offered to a small model: varied in origin and gender."""

PART_CLAIMS = 1
"""Claims per section: one, from its own passage (a second one from the same call repeats the
first; one more call per section costs as much as the section)."""
CLAIM_CHARS = 20
"""The shortest claim the schema allows: a sentence of 3 words or more, never "n/a"."""
OFFERED = 6
"""Names offered per persona."""
CLAIM_PASSAGE_WORDS = 6
"""A passage with fewer words ("Yes.", "Hmm, maybe") gives a claim nothing to say."""
IDENTITY_FIELDS = ("name", "age", "role", "bio", "quote")
PART_TOKENS = 200
"""The most tokens one part's answer may take: an identity (a bio of :data:`BIO_CHARS`) or one
claim takes well under 100; a longer answer runs on, and is cut and sampled again."""
BIO_CHARS = 120
"""The longest bio the identity schema allows: two short sentences."""
ROLE_PATTERN = r"^[A-Z][a-z]{1,15}( [a-z]{1,15}){0,3}$"
"""An English role as the grammar allows it: one to four words of letters, only the first
capitalised ("Night shift nurse"): never a name and surname ("Sofia Marchetti"), a file name,
a number or "N/A". (Bounded words: unbounded, SmolLM2 wrote one word of 300 letters.)"""
AGE_PATTERN = r"^[1-9][0-9](-[1-9][0-9])?$"
CLAIM_PATTERN = r"^[A-Z][a-z']{0,19}( [a-z][a-z',]{0,19}){2}( [A-Za-z0-9,.'%:;?!-]{1,20}){0,13}$"
"""An English claim as the grammar allows it: a sentence of 3 to 16 words of at most 20
characters whose first three are words (never a list number, a date, a timestamp or a name
and surname). SmolLM2 writes to the limit: with 25 words its claims took half the run; with
words of any length, one ran on for 5,000 tokens without a space."""
ROLE_WORDS = 300
"""Most words a role may be written with (the grammar grows with them)."""
ROLE_WORD_CHARS = 15
_ASCII_WORD = re.compile(r"[A-Za-z]+")
ENGLISH = "English"
"""The patterns above are ASCII: only text written in English gets them."""

Identity = create_model(  # the fields of a draft persona that are not claims
    "Identity",
    __config__=ConfigDict(extra="ignore"),
    **{
        name: (DraftPersona.model_fields[name].annotation, DraftPersona.model_fields[name])
        for name in IDENTITY_FIELDS
    },  # type: ignore[call-overload]
)


_FILE = re.compile(r"\S+\.[A-Za-z][A-Za-z0-9]{0,4}\b")


def _words(text: str) -> set[str]:
    return {w.casefold() for w in words(text)}


def offered_names(
    participants: Iterable[str], used: Iterable[str], *, start: int = 0, count: int = OFFERED
) -> list[str]:
    """Up to ``count`` of :data:`INVENTED_NAMES`, from ``start`` on (wrapping): none sharing a
    word with a participant's name or with a name ``used`` before."""
    taken: set[str] = set()
    for name in [*participants, *used]:
        taken |= _words(name)
    pool = (
        INVENTED_NAMES[start % len(INVENTED_NAMES) :]
        + INVENTED_NAMES[: start % len(INVENTED_NAMES)]
    )
    return [name for name in pool if not _words(name) & taken][:count]


def participant_groups(passages: Sequence[Passage], count: int) -> list[list[Passage]]:
    """The citable ``passages`` in at most ``count`` non-empty groups, participant by
    participant (each participant's passages in one group, participants dealt in turn), or,
    with fewer participants than ``count``, in even runs of passages."""
    citable = [p for p in passages if p.citable and p.id]
    by_who: dict[str, list[Passage]] = {}
    for passage in citable:
        by_who.setdefault(passage.participant or passage.source, []).append(passage)
    if len(by_who) >= count:
        groups: list[list[Passage]] = [[] for _ in range(count)]
        for n, said in enumerate(by_who.values()):
            groups[n % count].extend(said)
        return groups
    per = -(-len(citable) // max(count, 1))
    return [citable[i : i + per] for i in range(0, len(citable), per)] if citable else []


def with_context(group: Sequence[Passage], passages: Sequence[Passage]) -> list[Passage]:
    """The ``group``'s passages among ``passages`` with the context lines of their files (the
    interviewer's questions, titles), in order: what the identity call reads."""
    ids = {p.id for p in group}
    sources = {p.source for p in group}
    return [p for p in passages if p.id in ids or (not p.citable and p.source in sources)]


CUES: dict[str, tuple[str, ...]] = {
    "goals": ("want", "wish", "need", "goal", "hope", "would love", "should"),
    "pain_points": ("problem", "annoy", "hate", "late", "never", "can't", "wrong", "worst"),
    "behaviours": ("usually", "always", "every", "often", "on my", "i use", "i check"),
    "motivations": ("because", "so that", "love", "important", "matters", "enjoy"),
}
"""Words that make a passage the likelier source of a section's claim (English; elsewhere the
passages are taken in order)."""


def section_passages(group: Sequence[Passage]) -> list[list[Passage]]:
    """For each claim section, the one passage of the group its claim is written from: one with
    something to say (:data:`CLAIM_PASSAGE_WORDS`), preferring one with the section's
    :data:`CUES`, a different one per section while there are enough."""
    substantive = [p for p in group if len(words(p.text)) >= CLAIM_PASSAGE_WORDS] or list(group)
    chosen: list[list[Passage]] = []
    used: set[str] = set()
    for section in CLAIM_SECTIONS:
        fresh = [p for p in substantive if p.id not in used] or substantive
        cued = [p for p in fresh if any(cue in p.text.casefold() for cue in CUES[section])]
        passage = (cued or fresh)[0]
        used.add(passage.id)
        chosen.append([passage])
    return chosen


IDENTITY_ORDER = ("role", "age", "name", "bio", "quote")
"""The order the identity is written in: the role before the name (a small model that has
just written a name copies it into the next field). (Written first, SmolLM2's bio was a name
or ", " and its role copied it.)"""


def role_pattern(group: Sequence[Passage], names: Iterable[str]) -> str:
    """An English role as the grammar allows it: one to four content words the group's
    participants said in lower case somewhere (proper nouns never are), none a word of
    ``names`` or of :data:`INVENTED_NAMES`, the first a noun they used ("a nurse", "a
    student": a word after "a" or "an", not "a lot of"), else any of them;
    :data:`ROLE_PATTERN` when they said nothing usable. Free, SmolLM2-135M wrote "Sure",
    "Narita", "Maria on cardiac ward"; from any word they said, "Almost", "Lot of love to"."""
    taken = {w.casefold() for name in [*names, *INVENTED_NAMES] for w in words(name)}
    content: dict[str, None] = {}
    nouns: dict[str, None] = {}
    for passage in group:
        said = _ASCII_WORD.findall(passage.text)
        for before, word, after in zip(["", *said], said, [*said[1:], ""], strict=False):
            if not word.islower() or word in taken or word in STOP_WORDS:
                continue
            if 4 <= len(word) <= ROLE_WORD_CHARS or (len(word) == 3 and before in {"a", "an"}):
                content.setdefault(word)
                if before.casefold() in {"a", "an"} and after != "of":
                    nouns.setdefault(word)
    following = list(content)[:ROLE_WORDS]
    first = [w for w in nouns if w in following] or following
    if not first:
        return ROLE_PATTERN
    head = "|".join(w[:1].upper() + w[1:] for w in first)
    return f"^({head})( ({'|'.join(following)})){{0,3}}$"


def identity_schema(
    names: Sequence[str],
    ids: Sequence[str],
    *,
    enum: bool,
    language: str = "",
    role: str = ROLE_PATTERN,
) -> dict[str, Any]:
    """The schema of the identity call: the name one of ``names``, the quote one of ``ids``
    (the whole passage: no span to copy), a bio of at most :data:`BIO_CHARS`; in English,
    the role and age as ``role`` (:func:`role_pattern`) and :data:`AGE_PATTERN` allow."""
    schema = with_ids(llm_json_schema(Identity), ids, enum=enum)
    schema["properties"] = {key: schema["properties"][key] for key in IDENTITY_ORDER}
    schema["required"] = list(IDENTITY_ORDER)
    properties = schema["properties"]
    if enum and names:
        properties["name"]["enum"] = list(names)
    quote = schema["$defs"]["QuoteRef"]
    quote["properties"] = {"passage": quote["properties"]["passage"]}
    quote["required"] = ["passage"]
    properties["bio"]["maxLength"] = BIO_CHARS
    if language == ENGLISH:
        properties["role"].update(
            pattern=role, description="An occupation in 1 to 4 words, such as Night nurse."
        )
        properties["age"].update(pattern=AGE_PATTERN, description="An age such as 34.")
    return schema


def identity_problems(
    identity: Any, names: Sequence[str], participants: Iterable[str] = ()
) -> list[str]:
    """What is wrong with an identity answer by the persona rules: a name not among those
    offered, a role or bio empty or only repeating the name or each other, a role holding a
    participant's name."""
    problems = []
    if names and identity.name not in names:
        problems.append(f"the name '{identity.name}' is not one of: {', '.join(names)}")
    name, role, bio = (_key(identity.name), _key(identity.role), _key(identity.bio))
    if is_placeholder(identity.role) or is_placeholder(identity.bio):
        problems.append("no placeholders (string, N/A, TBD, example, ...): write real content")
    real = {w for who in [*participants, *INVENTED_NAMES] for w in _key(who).split() if len(w) > 1}
    if not role or role == name or set(role.split()) & real or _FILE.search(identity.role):
        problems.append(
            "the role must be an occupation (such as nurse), never empty, a name or a file name"
        )
    if not bio or bio in {name, role}:
        problems.append("the bio must be 2-3 sentences, never empty nor the name or role")
    return problems


def claims_schema(
    section: str, ids: Sequence[str], claims: int, *, enum: bool, language: str = ""
) -> dict[str, Any]:
    """The schema of one section's call: ``{section: [{passages, text}]}``, 1 to ``claims``
    claims, each citing one of ``ids`` (one ID per claim), the ID first; in English, each
    sentence as :data:`CLAIM_PATTERN` allows."""
    item = with_ids(llm_json_schema(CitedClaim), ids, enum=enum)
    item["properties"] = {key: item["properties"][key] for key in ("passages", "text")}
    cited = item["properties"]["passages"]
    cited.update(maxItems=1, description="The ID of the passage this sentence says.")
    item["properties"]["text"]["minLength"] = CLAIM_CHARS
    if language == ENGLISH:
        item["properties"]["text"]["pattern"] = CLAIM_PATTERN
    item["required"] = ["passages", "text"]
    return {
        "type": "object",
        "properties": {
            section: {"type": "array", "items": item, "minItems": 1, "maxItems": claims}
        },
        "required": [section],
    }


def claim_problems(
    claims: Sequence[CitedClaim],
    shown: Mapping[str, Passage],
    earlier: Sequence[str],
    taken: Iterable[str] = (),
) -> list[str]:
    """What is wrong with one section's ``claims`` by the persona rules: a claim too short,
    citing no passage ``shown``, sharing no word with the passage it cites, repeating another
    claim (of this section or ``earlier`` ones) or one of the ``taken`` texts (name, role)."""
    problems: list[str] = []
    seen = [_key(text) for text in earlier]
    banned = {_key(text) for text in taken} - {""}
    for n, claim in enumerate(claims, start=1):
        key = _key(claim.text)
        cited = [shown[i.strip().upper()] for i in claim.passages if i.strip().upper() in shown]
        label = f"claim {n} ('{claim.text[:60]}')"
        if identifier(claim.text) or is_placeholder(claim.text):
            problems.append(f"{label} is only a number, an ID or a placeholder: write a sentence")
        elif len(key.split()) < MIN_CLAIM_WORDS:
            problems.append(f"{label} has fewer than {MIN_CLAIM_WORDS} words")
        elif key in banned:
            problems.append(f"{label} only repeats the name or the role")
        if not cited:
            problems.append(f"{label} cites none of the passages shown")
        elif all(weak_support(claim.text, p.text) for p in cited):
            problems.append(
                f"{label} shares no word with {cited[0].id}: say what the passage says, in "
                "the participant's words"
            )
        if any(fuzz.ratio(key, other) >= REPEATED for other in seen):
            problems.append(f"{label} repeats another claim: every claim says something different")
        seen.append(key)
    return problems


def _key(text: str) -> str:
    return " ".join(w.casefold() for w in words(text))


def assembled(identity: Any, sections: Mapping[str, Sequence[CitedClaim]]) -> DraftPersona:
    """The draft persona of an identity answer and each section's claims."""
    data = copy.deepcopy(identity.model_dump())
    data.update({s: [c.model_dump() for c in sections.get(s, [])] for s in CLAIM_SECTIONS})
    return DraftPersona.model_validate(data)

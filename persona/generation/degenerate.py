"""Is a persona's content degenerate? Then it is marked unusable, with the reasons.

Tiny models under a JSON grammar write valid JSON with nothing in it: every claim the single
word "Sofia", the bio equal to the role, one passage cited for everything, a participant's
real name as the persona's name, a file name as the name, a claim that is only a number,
"N/A" or "string", the same claim twice, claims that cite nothing that supports them. Each
rule here is told to the model in the prompt (:mod:`persona.generation.prompts`), so a repair
can fix it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from rapidfuzz import fuzz

from persona.core.schema import Claim, Evidence, Persona

MIN_CLAIM_WORDS = 3
MOST_CLAIMS = 0.5
"""More than this share of claims citing one passage is "the same passage for most claims";
more than this share unsupported is "mostly unsupported"."""
REPEATED = 90.0
"""Claims this alike (rapidfuzz ratio of their words, 0..100) say the same thing."""
PLACEHOLDERS = frozenset(
    ["string", "n a", "na", "tbd", "todo", "example", "placeholder", "none", "null", "xxx", "..."]
)
"""Text a model writes instead of content (compared after lower-casing, punctuation dropped)."""
_WORD = re.compile(r"[^\W_]+")
_FILE_NAME = re.compile(r"\S+\.[A-Za-z][A-Za-z0-9]{0,4}")
_LETTER = re.compile(r"[^\W\d_]")


def _norm(text: str) -> str:
    return " ".join(_WORD.findall(text.casefold()))


def degeneracy(persona: Persona, participant_names: Iterable[str] = ()) -> list[str]:
    """Plain-language reasons why ``persona`` is unusable; empty when it is fine."""
    claims = persona.claims()
    texts = [c.text for _, c in claims]
    reasons = _empty(persona) + _placeholders(persona)
    numbers = [t for t in texts if identifier(t)]
    if numbers:
        shown = ", ".join(f"'{t}'" for t in numbers[:3])
        reasons.append(f"{len(numbers)} claim(s) are only a number or an identifier ({shown})")
    short = [t for t in texts if len(_WORD.findall(t)) < MIN_CLAIM_WORDS and t not in numbers]
    if short:
        shown = ", ".join(f"'{t}'" for t in short[:3])
        reasons.append(f"{len(short)} claim(s) have fewer than {MIN_CLAIM_WORDS} words ({shown})")
    name, role = _norm(persona.name), _norm(persona.role)
    echoes = [t for t in texts if _norm(t) in {name, role} - {""}]
    if echoes:
        reasons.append(f"{len(echoes)} claim(s) only repeat the name or the role")
    if _FILE_NAME.fullmatch(persona.name.strip()):
        reasons.append(f"the name '{persona.name}' is a file name; personas get invented names")
    reasons += _role(persona.role, participant_names)
    reasons += _repeats(persona)
    reasons += _evidence(claims)
    real = _real_name(persona.name, participant_names)
    if real:
        reasons.append(
            f"the name '{persona.name}' is a participant's real name ({real}); personas get "
            "invented names"
        )
    return reasons


def claim_problems(persona: Persona) -> list[str]:
    """Why each claim of ``persona`` (in :meth:`~Persona.claims` order) breaks a rule, in
    words that tell a model what to fix; empty for a claim that breaks none. Of two claims
    that say the same, the later one is named."""
    problems: list[str] = []
    earlier: list[str] = []
    for _, claim in persona.claims():
        text, key = claim.text, _norm(claim.text)
        if is_placeholder(text):
            problems.append("it is placeholder text")
        elif identifier(text):
            problems.append("it is only a number or an identifier")
        elif len(_WORD.findall(text)) < MIN_CLAIM_WORDS:
            problems.append(f"it has fewer than {MIN_CLAIM_WORDS} words")
        elif key in {_norm(persona.name), _norm(persona.role)} - {""}:
            problems.append("it only repeats the name or the role")
        elif key and any(fuzz.ratio(key, other) >= REPEATED for other in earlier):
            problems.append("it repeats an earlier claim")
        elif not _supported(claim):
            problems.append("no quote in your data supports it")
        else:
            problems.append("")
        earlier.append(key)
    return problems


def _role(role: str, participants: Iterable[str]) -> list[str]:
    """A role that is a file name or only a participant's name (or part of it): no occupation."""
    key = _norm(role)
    if _FILE_NAME.fullmatch(role.strip()):
        return [f"the role '{role}' is a file name; a role is an occupation"]
    for participant in participants:
        words = _WORD.findall(participant.casefold())
        if key and all(w.isalpha() for w in words) and key in {_norm(participant), *words}:
            return [
                f"the role '{role}' is a participant's name ({participant}); a role is an "
                "occupation"
            ]
    return []


def _empty(persona: Persona) -> list[str]:
    return [
        f"the {label} is empty"
        for label, text in (("role", persona.role), ("bio", persona.bio))
        if not _WORD.search(text)
    ]


def _placeholders(persona: Persona) -> list[str]:
    """Fields (and claims) that hold placeholder text instead of content."""
    fields = [("name", persona.name), ("role", persona.role), ("bio", persona.bio)]
    fields += [(section, claim.text) for section, claim in persona.claims()]
    found = [f"{label} '{text.strip()}'" for label, text in fields if is_placeholder(text)]
    if not found:
        return []
    return [f"placeholder text instead of content: {', '.join(found[:3])}"]


def is_placeholder(text: str) -> bool:
    stripped = text.strip()
    if stripped and not _WORD.search(stripped):
        return True  # "...", "—", "?"
    key = _norm(stripped)
    return key in PLACEHOLDERS or "lorem ipsum" in key


def identifier(text: str) -> bool:
    """Only a number or an identifier: no letter at all ("45.69"), or one word with digits
    ("P17", "1783619877")."""
    words = _WORD.findall(text)
    if not words:
        return False
    return not _LETTER.search(text) or (len(words) == 1 and any(c.isdigit() for c in words[0]))


def _repeats(persona: Persona) -> list[str]:
    """The same text in several fields, or the same or nearly the same claim twice (in one
    section too)."""
    reasons: list[str] = []
    fields: dict[str, set[str]] = {}
    for label, text in [("name", persona.name), ("role", persona.role), ("bio", persona.bio)]:
        key = _norm(text)
        if key:
            fields.setdefault(key, set()).add(label)
    claims = [(section, _norm(claim.text)) for section, claim in persona.claims()]
    for section, key in claims:
        if key in fields:
            fields[key].add(section)
    repeated = [text for text, where in fields.items() if len(where) > 1]
    if repeated:
        reasons.append(
            f"the same text appears in several fields or sections ('{repeated[0][:60]}')"
        )
    keys = [key for _, key in claims if key]
    pairs = [
        (a, b) for i, a in enumerate(keys) for b in keys[i + 1 :] if fuzz.ratio(a, b) >= REPEATED
    ]
    if pairs:
        reasons.append(
            f"{len(pairs)} claim(s) repeat another claim ('{pairs[0][1][:60]}'): every claim "
            "must say something different"
        )
    return reasons


def _evidence(claims: list[tuple[str, Claim]]) -> list[str]:
    """No claim evidence at all, mostly unsupported claims, one passage cited for most."""
    if not claims:
        return []
    cited = [{_place(e) for e in c.evidence} for _, c in claims if c.evidence]
    if not cited:
        return ["no claim cites a passage that says it (only the representative quote is evidence)"]
    reasons: list[str] = []
    unsupported = sum(not _supported(c) for _, c in claims)
    if unsupported > MOST_CLAIMS * len(claims):
        reasons.append(
            f"{unsupported} of {len(claims)} claims have no quote in your data that supports them"
        )
    counts = Counter(key for keys in cited for key in keys)
    if len(cited) >= 3 and counts:
        top, times = counts.most_common(1)[0]
        if times > MOST_CLAIMS * len(cited):
            reasons.append(f"{times} of {len(cited)} claims cite the same passage ({top})")
    return reasons


def _place(evidence: Evidence) -> str:
    """The passage a quote stands for: its ID, else where it was found, else its words."""
    if evidence.passage:
        return evidence.passage
    if evidence.matched_source:
        return f"{evidence.matched_source}, {evidence.matched_locator}"
    return " ".join(evidence.quote.casefold().split())


def _supported(claim: Claim) -> bool:
    """It cites quotes, none of them not found in the data or weak (a quote not yet checked
    counts: a draft's quotes are its passages, word for word by construction)."""
    return bool(claim.evidence) and all(
        e.verified is not False and not e.weak_support for e in claim.evidence
    )


def _real_name(name: str, participants: Iterable[str]) -> str:
    words = set(_WORD.findall(name.casefold()))
    for participant in participants:
        parts = _WORD.findall(participant.casefold())
        if parts and all(p.isalpha() and len(p) > 1 for p in parts) and set(parts) <= words:
            return participant
    return ""

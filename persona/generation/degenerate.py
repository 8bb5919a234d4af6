"""Is a persona's content degenerate? Then it is marked unusable, with the reasons.

Tiny models under a JSON grammar write valid JSON with nothing in it: every claim the single
word "Sofia", the bio equal to the role, one passage cited for everything, a participant's
real name as the persona's name. Each rule here is told to the model in the prompt
(:mod:`persona.generation.prompts`), so a repair can fix it.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from persona.core.schema import Persona

MIN_CLAIM_WORDS = 3
MOST_CLAIMS = 0.5
"""More than this share of claims citing one passage is "the same passage for most claims"."""
_WORD = re.compile(r"[^\W_]+")


def _norm(text: str) -> str:
    return " ".join(_WORD.findall(text.casefold()))


def degeneracy(persona: Persona, participant_names: Iterable[str] = ()) -> list[str]:
    """Plain-language reasons why ``persona`` is unusable; empty when it is fine."""
    reasons: list[str] = []
    claims = persona.claims()
    short = [c.text for _, c in claims if len(_WORD.findall(c.text)) < MIN_CLAIM_WORDS]
    if short:
        shown = ", ".join(f"'{t}'" for t in short[:3])
        reasons.append(f"{len(short)} claim(s) have fewer than {MIN_CLAIM_WORDS} words ({shown})")
    name, role = _norm(persona.name), _norm(persona.role)
    echoes = [c.text for _, c in claims if _norm(c.text) in {name, role} - {""}]
    if echoes:
        reasons.append(f"{len(echoes)} claim(s) only repeat the name or the role")
    fields: dict[str, set[str]] = {}
    for label, text in [("name", persona.name), ("role", persona.role), ("bio", persona.bio)] + [
        (section, claim.text) for section, claim in claims
    ]:
        key = _norm(text)
        if key:
            fields.setdefault(key, set()).add(label)
    repeated = [text for text, where in fields.items() if len(where) > 1]
    if repeated:
        reasons.append(
            f"the same text appears in several fields or sections ('{repeated[0][:60]}')"
        )
    cited = [
        {e.passage or f"{e.source}|{e.locator}" for e in c.evidence}
        for _, c in claims
        if c.evidence
    ]
    counts = Counter(key for keys in cited for key in keys)
    if len(cited) >= 3 and counts:
        top, times = counts.most_common(1)[0]
        if times > MOST_CLAIMS * len(cited):
            reasons.append(f"{times} of {len(cited)} claims cite the same passage ({top})")
    real = _real_name(persona.name, participant_names)
    if real:
        reasons.append(
            f"the name '{persona.name}' is a participant's real name ({real}); personas get "
            "invented names"
        )
    return reasons


def _real_name(name: str, participants: Iterable[str]) -> str:
    words = set(_WORD.findall(name.casefold()))
    for participant in participants:
        parts = _WORD.findall(participant.casefold())
        if parts and all(p.isalpha() and len(p) > 1 for p in parts) and set(parts) <= words:
            return participant
    return ""

"""What History searches a run by: text folded the same way on both sides of ``LIKE``.

Every History connection has the SQL function ``fold`` (:func:`search_fold`); a persona's
bio, claims and quotes are kept folded in ``records.search_text`` (:func:`search_text`).
"""

from __future__ import annotations

from persona.core.records import PersonaRecord
from persona.core.words import strip_accents


def search_text(record: PersonaRecord) -> str:
    """What History searches in a persona besides its name and role: bio, claims, quotes."""
    persona = record.current
    parts = [persona.bio, *(claim.text for _, claim in persona.claims())]
    parts += [evidence.quote for evidence in persona.all_evidence()]
    return search_fold("\n".join(parts))


def search_fold(text: str | None) -> str:
    """``text`` lower-cased without accents, for searching (kept decomposed, as saved)."""
    return strip_accents(text or "").casefold()


def like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")

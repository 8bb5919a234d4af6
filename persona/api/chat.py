"""Talking to a persona: answers grounded in the study's passages, in the study's language."""

from __future__ import annotations

from persona.chat.persona_chat import PersonaChat, find_persona, why_not_talk
from persona.generation.language import detect_language

__all__ = [
    "PersonaChat",
    "detect_language",
    "find_persona",
    "why_not_talk",
]

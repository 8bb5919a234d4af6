"""Talking to a persona: retrieval of the study's passages, grounding of answers, translation
of questions (see :mod:`persona.chat.persona_chat`)."""

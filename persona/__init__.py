"""Persona: evidence-backed UX personas from research data, made on this machine."""

__version__ = "0.1.0"

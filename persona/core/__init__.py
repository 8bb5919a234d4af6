"""Core: the error tree, settings, progress events, the persona schema, passages and records.

Everything else builds on these modules; they import nothing from the rest of Persona.
"""

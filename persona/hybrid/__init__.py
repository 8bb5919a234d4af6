"""Hybrid refinement: the only code that may talk to a cloud API (Anthropic's Claude).

Gate (which drafts are worth refining), redaction, pricing, the Anthropic adapter and the
refinement itself live here, so the boundary of what can leave the machine is one folder.
"""

"""Comparing models or settings on one study: runs side by side, personas aligned."""

from __future__ import annotations

from persona.generation.compare import align, side_by_side

__all__ = [
    "align",
    "side_by_side",
]

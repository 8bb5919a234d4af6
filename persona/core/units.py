"""Sizes and durations as people read them, the same on every page and in the terminal."""

from __future__ import annotations

GB = 1_000_000_000
"""One decimal gigabyte: the unit of every size Persona shows."""
MB = 1_000_000


def format_bytes(n: int | float) -> str:
    """A size for people, in decimal units: ``7.4 GB``, or ``512 MB`` below one gigabyte."""
    if abs(n) >= GB:
        return f"{n / GB:.1f} GB"
    return f"{n / MB:.0f} MB"


def format_duration(seconds: float) -> str:
    """``4:05`` below an hour, ``1h02m`` above."""
    whole = int(seconds)
    if whole >= 3600:
        return f"{whole // 3600}h{whole % 3600 // 60:02d}m"
    return f"{whole // 60}:{whole % 60:02d}"

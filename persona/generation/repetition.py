"""Spotting a model that loops while it streams, so the call can be stopped early.

A small model under a JSON grammar can repeat one sentence (or one list item) until it hits
its token limit: thousands of tokens for nothing. :class:`LoopDetector` watches the streamed
text and says when its tail is the same piece repeated several times over.
"""

from __future__ import annotations

MIN_PERIOD = 12
"""Shorter repeats (``["P1"], ["P1"]``) are normal JSON structure."""
MAX_PERIOD = 400
MIN_REPEATS = 4
MIN_LOOP_CHARS = 240
BLANK_RUN = 120
"""This many whitespace characters in a row is a loop too."""
CHECK_EVERY = 48


class LoopDetector:
    """Feed it the streamed pieces; :attr:`looping` turns True once the text loops."""

    def __init__(self) -> None:
        self.text = ""
        self.looping = False
        self._checked = 0

    def feed(self, piece: str) -> bool:
        """Add a piece; returns :attr:`looping`."""
        self.text += piece
        if not self.looping and len(self.text) - self._checked >= CHECK_EVERY:
            self._checked = len(self.text)
            self.looping = is_looping(self.text)
        return self.looping


def is_looping(text: str) -> bool:
    """Whether ``text`` ends with one piece repeated :data:`MIN_REPEATS` times or more."""
    tail = text[-(MAX_PERIOD * MIN_REPEATS) :]
    if len(tail) >= BLANK_RUN and not tail[-BLANK_RUN:].strip():
        return True
    for period in range(MIN_PERIOD, min(MAX_PERIOD, len(tail) // MIN_REPEATS) + 1):
        repeats = max(MIN_REPEATS, -(-MIN_LOOP_CHARS // period))
        if period * repeats > len(tail):
            break
        unit = tail[-period:]
        if not unit.strip():
            continue
        if all(
            tail[len(tail) - (k + 1) * period : len(tail) - k * period] == unit
            for k in range(1, repeats)
        ):
            return True
    return False

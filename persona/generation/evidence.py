"""Checking that every quote a persona cites is really in the uploaded research data.

"Found in your data" means word for word: the **whole** quote occurs in the data, at word
boundaries, after :func:`normalize` (case, whitespace, typographic quotes and apostrophes,
dashes, and punctuation between words do not matter; a number keeps its inner punctuation, so
``15.5`` is neither ``15 5`` nor ``155``, and ``6:52`` is not ``6:55``). There is no fuzzy
score: a changed digit or an added or dropped negation ("never"/"ever", "can't"/"can") is a
different quote, "not found". Only citable passages (what participants said) are evidence:
headings, metadata and the interviewer's questions are not. A quote may run across consecutive
passages of the same file (two lines of a transcript).
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import islice

from persona.core.documents import Passage
from persona.core.schema import Persona
from persona.core.words import words as word_list

_MAX_OCCURRENCES = 200
_SCAN_LIMIT = 500
"""Above this many passages with the phrase's rarest word, scan all text instead."""


def normalize(text: str) -> str:
    """The words of ``text`` (:func:`persona.core.words.words`) separated by single spaces.

    Chinese and Japanese characters count as words, so a quote matches inside a sentence."""
    return " ".join(word_list(text))


@dataclass(frozen=True, slots=True)
class Match:
    """Where a quote was found: the passage (or consecutive passages) it is in."""

    source: str
    locator: str
    text: str
    passages: tuple[Passage, ...]


class EvidenceIndex:
    """Normalised passages, built once, to look up many quotes quickly."""

    def __init__(self, passages: Sequence[Passage]) -> None:
        self._passages: list[Passage] = []
        self._starts: list[int] = []
        self._ends: list[int] = []
        postings: defaultdict[str, list[int]] = defaultdict(list)
        chunks, size, previous = [" "], 1, None
        for passage in passages:
            if not passage.citable:  # context (questions, demographics) is never evidence
                continue
            if passage.source != previous:
                previous = passage.source
                chunks.append("\n ")
                size += 2
            text = normalize(passage.text)
            if not text:
                continue
            slot = len(self._passages)
            self._passages.append(passage)
            self._starts.append(size)
            self._ends.append(size + len(text))
            for word in set(text.split()):
                postings[word].append(slot)
            chunks.append(text + " ")
            size += len(text) + 1
        self._haystack = "".join(chunks)
        self._postings = dict(postings)
        self._found: dict[tuple[str, str, str], Match | None] = {}

    def __len__(self) -> int:
        return len(self._passages)

    def find(self, quote: str, source: str = "", locator: str = "") -> Match | None:
        """Where the whole ``quote`` occurs word for word, preferring the claimed
        source/locator when it occurs more than once; ``None`` when it does not occur (always
        for an empty quote)."""
        key = (quote, source, locator)
        if key not in self._found:
            self._found[key] = self._find(normalize(quote), _key(source, locator))
        return self._found[key]

    def _find(self, needle: str, claimed: tuple[str, str]) -> Match | None:
        if not needle or not self._passages:
            return None
        best: tuple[int, int] | None = None
        for position in islice(self._positions(needle), _MAX_OCCURRENCES):
            rank = self._claim_rank(position, position + len(needle), claimed)
            if best is None or rank > best[0]:
                best = (rank, position)
        return None if best is None else self._match(best[1], best[1] + len(needle))

    def _positions(self, phrase: str) -> Iterator[int]:
        """Where the normalised ``phrase`` starts in the haystack, as whole words."""
        words = set(phrase.split())
        if not words <= self._postings.keys():
            return
        rarest = min(words, key=lambda w: len(self._postings[w]))
        target = f" {phrase} "
        if len(self._postings[rarest]) > _SCAN_LIMIT:
            position = self._haystack.find(target)
            while position >= 0:
                yield position + 1
                position = self._haystack.find(target, position + 1)
            return
        seen: set[int] = set()
        for slot in self._postings[rarest]:
            end = self._ends[slot] + len(target)
            position = self._haystack.find(target, max(self._starts[slot] - len(target), 0), end)
            while position >= 0:
                if position not in seen:
                    seen.add(position)
                    yield position + 1
                position = self._haystack.find(target, position + 1, end)

    def _slots(self, start: int, end: int) -> range:
        while start < end and self._haystack[start].isspace():
            start += 1
        while end > start and self._haystack[end - 1].isspace():
            end -= 1
        first = max(bisect_right(self._starts, start) - 1, 0)
        last = max(bisect_right(self._starts, max(end - 1, start)) - 1, first)
        return range(first, last + 1)

    def _claim_rank(self, start: int, end: int, claimed: tuple[str, str]) -> int:
        source, locator = claimed
        rank = 0
        for slot in self._slots(start, end):
            passage = self._passages[slot]
            if passage.source.casefold() == source:
                rank = max(rank, 2 if passage.locator.casefold() == locator else 1)
        return rank

    def _match(self, start: int, end: int) -> Match:
        found = [self._passages[slot] for slot in self._slots(start, end)]
        first, last = found[0], found[-1]
        locator = first.locator if len(found) == 1 else f"{first.locator}–{last.locator}"
        text = "\n".join(p.text for p in found)
        return Match(first.source, locator, text, tuple(found))


def _key(source: str, locator: str) -> tuple[str, str]:
    return source.strip().casefold(), locator.strip().casefold()


def verify_personas(
    personas: Sequence[Persona], passages: Sequence[Passage] | EvidenceIndex
) -> list[Persona]:
    """Copies of ``personas`` with every quote marked verified or not against ``passages``.

    Each :class:`Evidence` gets ``verified``; the ``matched_*`` fields name the passage the
    quote came from when it is verified and are ``None`` otherwise.
    """
    index = passages if isinstance(passages, EvidenceIndex) else EvidenceIndex(passages)
    checked = []
    for persona in personas:
        copy = persona.model_copy(deep=True)
        verify(copy, index)
        checked.append(copy)
    return checked


def verify(persona: Persona, index: EvidenceIndex) -> list[Match]:
    """Mark every quote of ``persona`` (in place) verified or not; where the found ones are."""
    found = []
    for evidence in persona.all_evidence():
        match = index.find(evidence.quote, evidence.source, evidence.locator)
        evidence.verified = match is not None
        evidence.matched_source = match.source if match else None
        evidence.matched_locator = match.locator if match else None
        evidence.matched_text = match.text if match else None
        if match is not None:
            found.append(match)
    return found

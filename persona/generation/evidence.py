"""Checking that every quote a persona cites is really in the uploaded research data.

"Found in your data" means word for word over the **whole** quote. Quotes and passages are
compared after :func:`normalize` (case, curly quotes, dashes, punctuation and whitespace do
not matter); an exact normalised match scores 100. Otherwise only obvious typos are forgiven:
the whole quote is aligned with the passages sharing its rarest words, and it counts as found
when at most one character in :data:`TYPO_CHARS` differs (never for quotes under
:data:`MIN_FUZZY_WORDS` words). A quote that matches only part of a longer line, or a line
plus invented words, is not found. Only citable passages (what participants said) are
evidence: headings, metadata and the interviewer's questions are not. A quote may run across
consecutive passages of the same file (two lines of a transcript).
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import islice

from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

from persona.core.documents import Passage
from persona.core.schema import Evidence, Persona
from persona.core.words import words as word_list

TYPO_CHARS = 30
"""One differing character per this many is an obvious typo; more is a different quote."""
MIN_FUZZY_WORDS = 3
"""Shorter quotes only verify when they occur exactly (after normalising)."""

_RARE_WORDS = 8
_ENOUGH_RARE_WORDS = 3
_CANDIDATES = 50
_COMMON = 20
"""Words in more than one passage in this many are too common to pick candidates by."""
_MAX_OCCURRENCES = 200
_SCAN_LIMIT = 500
"""Above this many passages with the phrase's rarest word, scan all text instead."""


def normalize(text: str) -> str:
    """Lower-case words separated by single spaces; apostrophes dropped, punctuation ignored.

    Chinese and Japanese characters count as words, so a quote matches inside a sentence."""
    return " ".join(word_list(text))


@dataclass(frozen=True, slots=True)
class Match:
    """Where a quote was found: the passage (or consecutive passages) and how well it matched."""

    score: float
    source: str
    locator: str
    text: str


class EvidenceIndex:
    """Normalised passages, built once, to look up many quotes quickly."""

    def __init__(self, passages: Sequence[Passage]) -> None:
        self._passages: list[Passage] = []
        self._starts: list[int] = []
        self._ends: list[int] = []
        self._groups: list[int] = []
        self._claimed: dict[tuple[str, str], int] = {}
        postings: defaultdict[str, list[int]] = defaultdict(list)
        chunks, size, group, previous = [" "], 1, -1, None
        for passage in passages:
            if not passage.citable:  # context (questions, demographics) is never evidence
                continue
            if passage.source != previous:
                group, previous = group + 1, passage.source
                chunks.append("\n ")
                size += 2
            text = normalize(passage.text)
            if not text:
                continue
            slot = len(self._passages)
            self._passages.append(passage)
            self._starts.append(size)
            self._ends.append(size + len(text))
            self._groups.append(group)
            self._claimed.setdefault(_key(passage.source, passage.locator), slot)
            for word in set(text.split()):
                postings[word].append(slot)
            chunks.append(text + " ")
            size += len(text) + 1
        self._haystack = "".join(chunks)
        self._postings = dict(postings)

    def __len__(self) -> int:
        return len(self._passages)

    def find(self, quote: str, source: str = "", locator: str = "") -> Match | None:
        """The best match for ``quote``, preferring the claimed source/locator on ties.

        Returns ``None`` when nothing comes close enough to score (always for an empty quote,
        and for a quote under :data:`MIN_FUZZY_WORDS` words that does not occur exactly).
        """
        needle = normalize(quote)
        if not needle or not self._passages:
            return None
        claimed = _key(source, locator)
        exact = self._find_exact(needle, claimed)
        if exact is not None or len(needle.split()) < MIN_FUZZY_WORDS:
            return exact
        return self._find_fuzzy(needle, claimed)

    def _find_exact(self, needle: str, claimed: tuple[str, str]) -> Match | None:
        best: tuple[int, int] | None = None
        for position in islice(self._positions(needle), _MAX_OCCURRENCES):
            rank = self._claim_rank(position, position + len(needle), claimed)
            if best is None or rank > best[0]:
                best = (rank, position)
        return None if best is None else self._match(100.0, best[1], best[1] + len(needle))

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

    def _find_fuzzy(self, needle: str, claimed: tuple[str, str]) -> Match | None:
        """The closest alignment of the whole quote; scored by its edit distance."""
        best: tuple[float, int, int, int] | None = None
        for slot in self._candidates(needle, claimed):
            start, end = self._window(slot, len(needle))
            window = self._haystack[start:end]
            if len(needle) <= len(window):
                aligned = fuzz.partial_ratio_alignment(needle, window)
                span = (start, end)
                if aligned is not None:
                    span = (start + aligned.dest_start, start + aligned.dest_end)
            else:
                span = (start, end)
            span, distance = self._closest(needle, *span)
            score = max(0.0, 100.0 * (1 - distance / len(needle)))
            rank = self._claim_rank(*span, claimed)
            if best is None or (score, rank) > best[:2]:
                best = (score, rank, *span)
        return None if best is None or best[0] <= 0 else self._match(best[0], best[2], best[3])

    def _closest(self, needle: str, start: int, end: int) -> tuple[tuple[int, int], int]:
        """The span near ``start:end`` with the fewest edits from ``needle`` (an alignment
        can be off by a character or two around an inserted or dropped letter)."""
        best = ((start, end), Levenshtein.distance(needle, self._haystack[start:end]))
        for left in range(-2, 3):
            for right in range(-2, 3):
                a, b = max(start + left, 0), min(end + right, len(self._haystack))
                if b > a:
                    distance = Levenshtein.distance(needle, self._haystack[a:b])
                    if distance < best[1]:
                        best = ((a, b), distance)
        return best

    def _candidates(self, needle: str, claimed: tuple[str, str]) -> list[int]:
        """Passages sharing most of the quote's rare words, plus the claimed one.

        A quote with few rare words also votes with its exact runs of two or three words.
        """
        total = len(self._passages)
        if total <= _CANDIDATES:
            return list(range(total))
        words = needle.split()
        counted = sorted((len(self._postings[w]), w) for w in set(words) if w in self._postings)
        rare = [w for df, w in counted if df <= max(total // _COMMON, _CANDIDATES)][:_RARE_WORDS]
        votes: Counter[int] = Counter()
        for word in rare:
            votes.update(self._postings[word])
        if len(rare) < _ENOUGH_RARE_WORDS:
            size = 3 if len(words) >= 5 else 2
            for start in range(len(words) - size + 1):
                phrase = " ".join(words[start : start + size])
                positions = islice(self._positions(phrase), _CANDIDATES)
                votes.update({self._slots(p, p + len(phrase))[0] for p in positions})
        slots = [slot for slot, _ in votes.most_common(_CANDIDATES)]
        if claimed in self._claimed:
            slots.append(self._claimed[claimed])
        return slots

    def _window(self, slot: int, length: int) -> tuple[int, int]:
        """The passage and as many followers (same file) as it takes to hold ``length``."""
        last = slot
        while (
            self._ends[last] - self._starts[slot] < length
            and last + 1 < len(self._passages)
            and self._groups[last + 1] == self._groups[slot]
        ):
            last += 1
        return self._starts[slot], self._ends[last]

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

    def _match(self, score: float, start: int, end: int) -> Match:
        found = [self._passages[slot] for slot in self._slots(start, end)]
        first, last = found[0], found[-1]
        locator = first.locator if len(found) == 1 else f"{first.locator}–{last.locator}"
        text = "\n".join(p.text for p in found)
        return Match(score, first.source, locator, text)


def _key(source: str, locator: str) -> tuple[str, str]:
    return source.strip().casefold(), locator.strip().casefold()


def found_score(quote: str) -> float:
    """The lowest score at which ``quote`` counts as found: obvious typos only."""
    length = len(normalize(quote))
    if len(normalize(quote).split()) < MIN_FUZZY_WORDS or not length:
        return 100.0
    return 100.0 * (1 - max(1, length // TYPO_CHARS) / length) - 1e-9


def verify_personas(
    personas: Sequence[Persona], passages: Sequence[Passage] | EvidenceIndex
) -> list[Persona]:
    """Copies of ``personas`` with every quote marked verified or not against ``passages``.

    Each :class:`Evidence` gets ``verified`` and ``score``; the ``matched_*`` fields name the
    passage the quote came from when it is verified and are ``None`` otherwise.
    """
    index = passages if isinstance(passages, EvidenceIndex) else EvidenceIndex(passages)
    cache: dict[tuple[str, str, str], Match | None] = {}
    checked = []
    for persona in personas:
        copy = persona.model_copy(deep=True)
        for evidence in copy.all_evidence():
            key = (evidence.quote, evidence.source, evidence.locator)
            if key not in cache:
                cache[key] = index.find(*key)
            _mark(evidence, cache[key])
        checked.append(copy)
    return checked


def _mark(evidence: Evidence, match: Match | None) -> None:
    found = match if match is not None and match.score >= found_score(evidence.quote) else None
    evidence.verified = found is not None
    evidence.score = match.score if match is not None else 0.0
    evidence.matched_source = found.source if found else None
    evidence.matched_locator = found.locator if found else None
    evidence.matched_text = found.text if found else None


@dataclass(frozen=True, slots=True)
class VerificationSummary:
    """How many of the cited quotes were found in the data."""

    verified: int
    total: int

    @property
    def text(self) -> str:
        if not self.total:
            return "No quotes to check"
        noun = "quote" if self.total == 1 else "quotes"
        return f"{self.verified} of {self.total} {noun} found in your data"


def summarize(personas: Sequence[Persona]) -> VerificationSummary:
    """Count verified quotes across usable ``personas`` (run :func:`verify_personas` first)."""
    evidence = [ev for persona in personas if not persona.unusable for ev in persona.all_evidence()]
    return VerificationSummary(sum(ev.verified is True for ev in evidence), len(evidence))

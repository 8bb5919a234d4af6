"""Finding the passages of a study that bear on a question (BM25, in the study's language).

Passages and questions are cut into :func:`persona.core.words.terms`, stripped of the
language's stop words and stemmed (Snowball), then ranked with ``bm25s``. Ranking alone
always finds *something*; :attr:`Search.relevant` says whether the passages found cover
enough of the question's meaning to answer it (an IDF-weighted share of its terms), so a
persona can decline what its data does not speak to.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import bm25s
import numpy as np
import Stemmer
from bm25s import stopwords as bm25_stopwords

from persona.core.coverage import place
from persona.core.documents import Passage
from persona.core.words import fold, terms

TOP_K = 6
"""Passages given to the model for one question."""
CANDIDATES = 30
"""Passages ranked before the persona's own are moved to the front."""
MIN_RELEVANCE = 0.5
"""Share of the question's meaning (IDF-weighted terms) the passages found must cover: half."""

_STEMMERS = {
    "English": "english",
    "German": "german",
    "Spanish": "spanish",
    "French": "french",
    "Italian": "italian",
    "Portuguese": "portuguese",
    "Dutch": "dutch",
    "Swedish": "swedish",
    "Danish": "danish",
    "Turkish": "turkish",
    "Russian": "russian",
}
_STOPWORDS: dict[str, Collection[str]] = {
    "English": bm25_stopwords.STOPWORDS_EN_PLUS,
    "German": bm25_stopwords.STOPWORDS_GERMAN,
    "Spanish": bm25_stopwords.STOPWORDS_SPANISH,
    "French": bm25_stopwords.STOPWORDS_FRENCH,
    "Italian": bm25_stopwords.STOPWORDS_ITALIAN,
    "Portuguese": bm25_stopwords.STOPWORDS_PORTUGUESE,
    "Dutch": bm25_stopwords.STOPWORDS_DUTCH,
    "Swedish": bm25_stopwords.STOPWORDS_SWEDISH,
    "Danish": bm25_stopwords.STOPWORDS_DANISH,
    "Turkish": bm25_stopwords.STOPWORDS_TURKISH,
    "Russian": bm25_stopwords.STOPWORDS_RUSSIAN,
    "Chinese": bm25_stopwords.STOPWORDS_CHINESE,
    "Korean": bm25_stopwords.STOPWORDS_KOREAN,
}
_QUESTION_WORDS: dict[str, frozenset[str]] = {
    "English": frozenset(["tell", "think", "feel", "opinion", "describe", "explain"]),
    "German": frozenset(
        ["denken", "denkst", "finden", "findest", "erzählen", "erzähl", "halten", "meinen", "gibt"]
    ),
    "Spanish": frozenset(
        ["pasa", "opinas", "piensas", "crees", "sientes", "cuéntame", "cuenta", "parece"]
    ),
    "French": frozenset(["pensez", "penses", "trouvez", "trouves", "dites", "racontez"]),
}
"""Words that make a sentence a question rather than say what it is about."""
_QUESTION_PHRASES: dict[str, tuple[str, ...]] = {
    "Japanese": (
        "教えてください",
        "どう思いますか",
        "思いますか",
        "ありますか",
        "していますか",
        "について",
        "ください",
        "教えて",
        "ですか",
        "ますか",
        "どう",
    ),
}
"""The same for languages written without spaces, longest first."""


def stop_words(language: str | None) -> frozenset[str]:
    """The little words of ``language`` ("der", "und"; "el", "que"), folded; empty when
    Persona has no list for it."""
    return frozenset(map(fold, _STOPWORDS.get(language or "", ())))


@dataclass(frozen=True)
class Hit:
    passage: Passage
    score: float
    own: bool
    """Whether the persona's own evidence cites this passage."""


@dataclass(frozen=True)
class Search:
    """The passages found for a question, best first, and whether they can answer it."""

    question: str
    hits: tuple[Hit, ...]
    relevance: float
    """Share of the question's meaning the hits cover, 0..1."""

    @property
    def relevant(self) -> bool:
        return bool(self.hits) and self.relevance >= MIN_RELEVANCE

    @property
    def passages(self) -> list[Passage]:
        return [hit.passage for hit in self.hits]


class Retriever:
    """A BM25 index over a study's citable passages."""

    def __init__(self, passages: Sequence[Passage], language: str | None = None) -> None:
        self.passages = [p for p in passages if p.citable and p.text.strip()]
        self.language = language or "English"
        self._stop = stop_words(self.language)
        algorithm = _STEMMERS.get(self.language)
        self._stemmer = Stemmer.Stemmer(algorithm) if algorithm else None
        self._docs = [set(tokens) for tokens in map(self.tokens, (p.text for p in self.passages))]
        self._words = {t for p in self.passages for t in terms(p.text)}
        self._df: Counter[str] = Counter(t for doc in self._docs for t in doc)
        self._index = bm25s.BM25()
        if self.passages:
            self._index.index([self.tokens(p.text) for p in self.passages], show_progress=False)

    def tokens(self, text: str) -> list[str]:
        """The terms BM25 compares: no stop words, stemmed where the language has a stemmer."""
        kept = [t for t in terms(text) if t not in self._stop]
        return self._stemmer.stemWords(kept) if self._stemmer else kept

    def _topic(self, question: str) -> list[str]:
        """The terms of what ``question`` asks about, without the asking."""
        for phrase in _QUESTION_PHRASES.get(self.language, ()):
            question = question.replace(phrase, " ")
        asking = _QUESTION_WORDS.get(self.language, frozenset())
        return self.tokens(" ".join(t for t in terms(question) if t not in asking))

    def known_share(self, text: str) -> float:
        """Share of ``text``'s terms that are the study's language's: its stop words, words
        of the study, or words with the same stem as one (a question in the study's language
        shares at least its little words with it)."""
        found = terms(text)
        if not found:
            return 0.0
        stems = self._stemmer.stemWords(found) if self._stemmer else found
        known = [
            t in self._stop or t in self._words or stem in self._df
            for t, stem in zip(found, stems, strict=True)
        ]
        return sum(known) / len(found)

    def uses(self, word: str) -> bool:
        """Whether the study uses ``word`` (or, for a spaced word, one with its stem)."""
        folded = fold(word)
        if terms(word) != [folded]:  # several words, or an unspaced script's characters
            return any(folded in fold(p.text) for p in self.passages)
        stems = self.tokens(word)
        return folded in self._words or (bool(stems) and stems[0] in self._df)

    def idf(self, term: str) -> float:
        df = self._df.get(term, 0)
        return math.log(1 + (len(self.passages) - df + 0.5) / (df + 0.5))

    def search(self, question: str, own: Collection[str] = (), k: int = TOP_K) -> Search:
        """The ``k`` passages most relevant to ``question``; those at the places in ``own``
        (the persona's evidence) come first."""
        query = list(dict.fromkeys(self._topic(question)))
        if not query or not self.passages:
            return Search(question, (), 0.0)
        scores = np.asarray(self._index.get_scores(query), dtype=float)
        order = [int(i) for i in np.argsort(-scores)[:CANDIDATES] if scores[i] > 0]
        mine = {i for i in order if place(self.passages[i].source, self.passages[i].locator) in own}
        chosen = sorted(order, key=lambda i: i not in mine)[:k]  # stable: by score within groups
        hits = tuple(Hit(self.passages[i], float(scores[i]), i in mine) for i in chosen)
        found: set[str] = set().union(*(self._docs[i] for i in chosen))
        weights = {t: self.idf(t) for t in query}
        covered = sum(w for t, w in weights.items() if t in found) / sum(weights.values())
        return Search(question, hits, covered)

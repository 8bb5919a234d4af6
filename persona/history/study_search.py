"""Full-text search over a study's passages: SQLite FTS5 (``unicode61``, accents ignored).

Every passage of a study is indexed in the ``study_text`` table (:func:`index_passages`);
what a user types is never an FTS5 query error (see :func:`fts_query`).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from persona.core.documents import Passage

SNIPPET_WORDS = 24
"""Words of a passage shown around the matched words of a search hit."""
_OPEN, _CLOSE = "\x02", "\x03"
"""Markers FTS5 puts around matched words (never in stored text: see :func:`_indexable`)."""


@dataclass(frozen=True)
class Snippet:
    """A piece of a search hit's text; ``matched`` pieces are the words searched for."""

    text: str
    matched: bool


@dataclass(frozen=True)
class SearchHit:
    """A passage of a study that matches a search, with where it is (for "Read in context")."""

    passage_id: str
    """The passage's ID in the study's reading (``P17``)."""
    file: str
    participant: str
    locator: str
    text: str
    """The whole passage."""
    snippet: tuple[Snippet, ...]
    """Words around the matches, the matches marked: plain text, never markup."""
    citable: bool
    """Whether it is evidence (an interviewer's question or a heading is not)."""


def search_study(
    conn: sqlite3.Connection, study_id: str, query: str, limit: int = 50
) -> list[SearchHit]:
    """Passages of the study ``study_id`` matching ``query``, best first (see
    :meth:`persona.history.studies.Studies.search`)."""
    match = fts_query(query)
    if not match or limit <= 0:
        return []
    offsets: dict[str, int] = {}
    count = 0
    for file, passages in conn.execute(
        "SELECT name, passages FROM study_files WHERE study_id = ? ORDER BY position",
        (study_id,),
    ):
        offsets[file] = count
        count += passages
    try:
        rows = _search(conn, study_id, match, limit)
    except sqlite3.OperationalError:
        rows = _search(conn, study_id, plain_query(query), limit)
    return [
        SearchHit(
            passage_id=f"P{offsets[row[0]] + int(row[1]) + 1}",
            file=row[0],
            participant=row[2],
            locator=row[3],
            text=row[4],
            snippet=_pieces(row[5]),
            citable=bool(int(row[6])),
        )
        for row in rows
        if row[0] in offsets
    ]


def _indexable(text: str) -> str:
    return text.replace(_OPEN, " ").replace(_CLOSE, " ")


def index_passages(
    conn: sqlite3.Connection, study_id: str, file: str, passages: Sequence[Passage]
) -> None:
    conn.execute("DELETE FROM study_text WHERE study_id = ? AND file = ?", (study_id, file))
    conn.executemany(
        "INSERT INTO study_text (text, study_id, file, idx, participant, locator, citable) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            (_indexable(p.text), study_id, file, index, p.participant, p.locator, int(p.citable))
            for index, p in enumerate(passages)
        ],
    )


def study_match(study_id: str, match: str) -> str:
    """The FTS5 query for ``match`` (from :func:`fts_query`) in the passages of one study:
    the study is a term of its own column, so the index finds its rows."""
    return f'study_id : "{study_id}" AND text : ({match})'


def _search(conn: sqlite3.Connection, study_id: str, match: str, limit: int) -> list[Any]:
    rows: list[Any] = conn.execute(
        "SELECT file, idx, participant, locator, text, "
        f"snippet(study_text, 0, '{_OPEN}', '{_CLOSE}', '…', {SNIPPET_WORDS}), citable "
        "FROM study_text WHERE study_text MATCH ? ORDER BY rank LIMIT ?",
        (study_match(study_id, match), limit),
    ).fetchall()
    return rows


def _pieces(marked: str) -> tuple[Snippet, ...]:
    pieces: list[Snippet] = []
    for part in re.split(f"({_OPEN}.*?{_CLOSE})", marked):
        if part.startswith(_OPEN) and part.endswith(_CLOSE):
            pieces.append(Snippet(part[1:-1], True))
        elif part:
            pieces.append(Snippet(part, False))
    return tuple(pieces)


_WORD = re.compile(r"\w+", re.UNICODE)
_OPERATORS = frozenset({"OR", "NOT", "AND"})


def plain_query(text: str) -> str:
    """``text`` as FTS5 words that must all occur: every word quoted, operators and
    punctuation dropped ("" when there are no words)."""
    return " ".join(f'"{word}"' for word in _WORD.findall(text))


def fts_query(text: str) -> str:
    """What the user typed as an FTS5 query: phrases in double quotes, ``word*`` prefixes and
    the operators ``OR``/``NOT`` (in capitals) are kept; everything else is a plain word.
    The result is always valid FTS5 ("" when there is nothing to search)."""
    terms: list[str] = []
    quoted = text.count('"') >= 2
    for index, part in enumerate(text.split('"') if quoted else [text]):
        if quoted and index % 2 == 1 and index < text.count('"'):  # inside a phrase
            if words := _WORD.findall(part):
                terms.append('"' + " ".join(words) + '"')
            continue
        for token in part.split():
            if token in _OPERATORS:
                terms.append(token)
                continue
            words = _WORD.findall(token)
            for n, word in enumerate(words):
                prefix = token.endswith("*") and n == len(words) - 1
                terms.append(f'"{word}"' + ("*" if prefix else ""))
    while terms and terms[0] in _OPERATORS:  # an operator needs words on both sides
        terms.pop(0)
    while terms and terms[-1] in _OPERATORS:
        terms.pop()
    cleaned: list[str] = []
    for term in terms:
        if term in _OPERATORS and cleaned and cleaned[-1] in _OPERATORS:
            continue
        cleaned.append(term)
    return " ".join(cleaned)

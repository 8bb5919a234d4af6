"""History's database layout, versioned with ``PRAGMA user_version``, and the steps that
bring an older database up to date (each in the same transaction, so a failed step changes
nothing)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from pydantic import ValidationError

from persona.core.errors import StoreError
from persona.core.records import PersonaRecord
from persona.core.verdicts import run_summary
from persona.history.run_search import search_text
from persona.history.study_names import ensure_study

SCHEMA_VERSION = 7


def _backfill_search_text(conn: sqlite3.Connection) -> None:
    """Version 2 searches claims and quotes: fill ``search_text`` of the saved personas."""
    rows = conn.execute("SELECT run_id, idx, data FROM records").fetchall()
    for run_id, index, data in rows:
        try:
            text = search_text(PersonaRecord.model_validate_json(data))
        except ValidationError:
            continue  # a record this version cannot read keeps an empty search text
        conn.execute(
            "UPDATE records SET search_text = ? WHERE run_id = ? AND idx = ?",
            (text, run_id, index),
        )


def _recount(conn: sqlite3.Connection) -> None:
    """Version 6 counts usable personas, and the quotes in your data of every persona (an
    unusable persona's word-for-word quotes included): count the saved personas again."""
    rows = conn.execute("SELECT run_id, idx, data FROM records").fetchall()
    for run_id, index, data in rows:
        try:
            counted = run_summary([PersonaRecord.model_validate_json(data).current])
        except ValidationError:
            continue  # a record this version cannot read keeps its counts
        conn.execute(
            "UPDATE records SET found = ?, checked = ?, total = ?, usable = ? "
            "WHERE run_id = ? AND idx = ?",
            (counted.found, counted.checked, counted.quotes, counted.usable, run_id, index),
        )


def _studies_from_labels(conn: sqlite3.Connection) -> None:
    """Version 7 makes studies real: every study label of the saved runs becomes a study
    (with no files), labels that differ only in capitals joining the one with most runs."""
    rows = conn.execute(
        "SELECT study, MIN(created_at) FROM runs WHERE study != '' GROUP BY study "
        "ORDER BY COUNT(*) DESC, MIN(created_at)"
    ).fetchall()
    for label, first in rows:
        name = ensure_study(conn, label, first)
        if name != label:
            conn.execute("UPDATE runs SET study = ? WHERE study = ?", (name, label))


Migration = str | Callable[[sqlite3.Connection], None]

MIGRATIONS: tuple[tuple[Migration, ...], ...] = (
    (  # 0 -> 1
        """CREATE TABLE runs (
            id TEXT PRIMARY KEY,
            created_at TEXT NOT NULL,
            kind TEXT NOT NULL,
            model TEXT NOT NULL,
            frontier_model TEXT,
            status TEXT NOT NULL,
            message TEXT NOT NULL,
            options TEXT NOT NULL,
            files TEXT NOT NULL,
            file_names TEXT NOT NULL,
            usage TEXT NOT NULL,
            raw_answers TEXT NOT NULL,
            research_text TEXT,
            owner TEXT NOT NULL
        )""",
        "CREATE INDEX runs_by_date ON runs (created_at)",
        """CREATE TABLE records (
            run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
            idx INTEGER NOT NULL,
            data TEXT NOT NULL,
            name TEXT NOT NULL,
            role TEXT NOT NULL,
            found INTEGER NOT NULL,
            checked INTEGER NOT NULL,
            total INTEGER NOT NULL,
            PRIMARY KEY (run_id, idx)
        )""",
    ),
    (  # 1 -> 2: which engine made the run
        "ALTER TABLE runs ADD COLUMN engine TEXT NOT NULL DEFAULT ''",
    ),
    (  # 2 -> 3: who said each passage (coverage), conversations with personas
        "ALTER TABLE runs ADD COLUMN speakers TEXT NOT NULL DEFAULT '{}'",
        """CREATE TABLE chats (
            run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
            persona INTEGER NOT NULL,
            turn INTEGER NOT NULL,
            data TEXT NOT NULL,
            PRIMARY KEY (run_id, persona, turn)
        )""",
    ),
    (  # 3 -> 4: studies; claims and quotes searchable
        "ALTER TABLE runs ADD COLUMN study TEXT NOT NULL DEFAULT ''",
        "CREATE INDEX runs_by_study ON runs (study)",
        "ALTER TABLE records ADD COLUMN search_text TEXT NOT NULL DEFAULT ''",
        _backfill_search_text,
    ),
    (  # 4 -> 5: findings of each chunk of a map-reduce run, saved as they arrive
        """CREATE TABLE chunks (
            run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
            idx INTEGER NOT NULL,
            passages TEXT NOT NULL,
            findings TEXT NOT NULL,
            PRIMARY KEY (run_id, idx)
        )""",
    ),
    (  # 5 -> 6: usable personas counted apart from the quotes in your data
        "ALTER TABLE records ADD COLUMN usable INTEGER NOT NULL DEFAULT 1",
        _recount,
    ),
    (  # 6 -> 7: a study is a place: its files (copies in its folder), choices and search
        """CREATE TABLE studies (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL,
            choices TEXT NOT NULL DEFAULT '{}',
            interviewers TEXT NOT NULL DEFAULT '{}'
        )""",
        """CREATE TABLE study_files (
            study_id TEXT NOT NULL REFERENCES studies (id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            copy TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            size INTEGER NOT NULL,
            kind TEXT NOT NULL,
            passages INTEGER NOT NULL,
            quotable INTEGER NOT NULL,
            added_at TEXT NOT NULL,
            position INTEGER NOT NULL,
            PRIMARY KEY (study_id, name)
        )""",
        """CREATE VIRTUAL TABLE study_text USING fts5 (
            text, study_id, file UNINDEXED, idx UNINDEXED, participant UNINDEXED,
            locator UNINDEXED, citable UNINDEXED,
            tokenize = 'unicode61 remove_diacritics 2'
        )""",
        _studies_from_labels,
    ),
)
"""``MIGRATIONS[n]`` takes the database from version ``n`` to ``n + 1``."""


def migrate(conn: sqlite3.Connection, path: Path) -> None:
    """Bring the database at ``path`` (open on ``conn``, autocommit) to
    :data:`SCHEMA_VERSION`; StoreError when a newer Persona wrote it."""
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("BEGIN IMMEDIATE")
    (version,) = conn.execute("PRAGMA user_version").fetchone()
    if version > SCHEMA_VERSION:
        conn.rollback()
        raise StoreError(
            f"The run history at {path} was written by a newer version of Persona. "
            "Update Persona, or set PERSONA_DATA_DIR to another folder."
        )
    for steps in MIGRATIONS[version:]:
        for step in steps:
            if isinstance(step, str):
                conn.execute(step)
            else:
                step(conn)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    conn.commit()

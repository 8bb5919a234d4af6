"""A study's name as History stores it, and the study row a name stands for.

Runs belong to a study by name (``Run.study``); every study name a run carries is a study in
the ``studies`` table (:func:`ensure_study`). Names are compared with capitals ignored, using
the ``fold`` SQL function every History connection has (:mod:`persona.history.run_search`).
"""

from __future__ import annotations

import secrets
import sqlite3
from datetime import UTC, datetime


def study_name(name: str) -> str:
    """A study name as stored: one line, spaces tidied; empty means no study."""
    return " ".join(name.split())[:200]


def study_id(conn: sqlite3.Connection, name: str) -> str | None:
    """The id of the study named ``name`` (case ignored), if there is one."""
    found = conn.execute(
        "SELECT id FROM studies WHERE fold(name) = fold(?)", (study_name(name),)
    ).fetchone()
    return None if found is None else str(found[0])


def ensure_study(conn: sqlite3.Connection, name: str, created_at: str = "") -> str:
    """The study ``name`` exists (runs always belong to a real study; "" is none); returns
    its name as stored (a study named with other capitals is the same study). A new one is
    created at ``created_at`` (ISO 8601; default: now)."""
    if not name:
        return ""
    found = conn.execute("SELECT name FROM studies WHERE fold(name) = fold(?)", (name,)).fetchone()
    if found is not None:
        return str(found[0])
    conn.execute(
        "INSERT INTO studies (id, name, created_at) VALUES (?, ?, ?)",
        (secrets.token_hex(8), name, created_at or datetime.now(UTC).isoformat()),
    )
    return name


def has_files(conn: sqlite3.Connection, study_id: str) -> bool:
    """Whether the study with id ``study_id`` keeps any research file."""
    found = conn.execute("SELECT 1 FROM study_files WHERE study_id = ?", (study_id,))
    return found.fetchone() is not None

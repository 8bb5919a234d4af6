"""Studies kept on this machine: their files (copies), choices and full-text search.

A study lives in History's database (the ``studies``, ``study_files`` and ``study_text``
tables) and in a folder of its own, ``DATA/studies/ID/``, holding a copy of each research
file; both are private to the user like History (folders 0700, files 0600). The folder is
named by the study's id, never its name, so renaming a study moves nothing. Runs belong to a
study by its name (``Run.study``), and chats belong to runs.

This module stores what it is given; reading the copies into passages is
:mod:`persona.studydata`' job. Every passage of a study is searchable
(:mod:`persona.history.study_search`).
"""

from __future__ import annotations

import builtins
import json
import shutil
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from persona.core.documents import Passage
from persona.core.errors import InputError
from persona.core.private import private_dir, write_private
from persona.history.listing import RunListing
from persona.history.store import Store
from persona.history.study_names import ensure_study, study_name
from persona.history.study_search import SearchHit, index_passages, search_study

FOLDER = "studies"
"""The folder beside History's database that holds every study's files."""


@dataclass(frozen=True)
class StudyFile:
    """One research file of a study, as kept: its copy is in the study's folder."""

    name: str
    """The file's name as read (a file from a folder: its path within the folder)."""
    kind: str
    """What it was read as (``csv``, ``vtt``, ``recording``...; see ``ingest.FILE_KINDS``)."""
    size_bytes: int
    """The size of the file as added (a recording: the recording, not its transcript)."""
    sha256: str
    """The fingerprint of the file as added (a recording: of the recording's bytes)."""
    passages: int
    """Passages read from it (quotable ones and context)."""
    quotable: int
    """Passages that are evidence (what participants said)."""
    added_at: datetime
    path: Path
    """The copy (a recording's: its reviewed transcript, as WebVTT)."""


@dataclass(frozen=True)
class StudyListing:
    """A study as a list shows it, without reading its files."""

    name: str
    created_at: datetime
    files: int
    passages: int
    """Quotable passages over all its files."""
    runs: int
    latest: datetime
    """When the latest run was made, else when the study was created."""


@dataclass(frozen=True)
class Study:
    """A study on this machine: its files, the choices they are read with, and its runs."""

    name: str
    created_at: datetime
    files: tuple[StudyFile, ...]
    runs: tuple[RunListing, ...]
    """Newest first."""
    choices: Mapping[str, Any]
    """Table choices by file name, as saved (``TableChoice.to_dict``)."""
    interviewers: Mapping[str, str]
    """The interviewer chosen for transcripts, by file name ("" for nobody)."""
    folder: Path

    @property
    def passages(self) -> int:
        """Quotable passages over all its files."""
        return sum(f.quotable for f in self.files)

    @property
    def size_bytes(self) -> int:
        return sum(f.size_bytes for f in self.files)

    def file(self, name: str) -> StudyFile | None:
        return next((f for f in self.files if f.name == name), None)


class Studies:
    """The studies kept in the History ``store`` (default: the data folder's)."""

    def __init__(self, store: Store | None = None) -> None:
        self.store = store or Store()
        self.root = self.store.path.parent / FOLDER

    # --- studies --------------------------------------------------------------

    def create(self, name: str) -> str:
        """Create an empty study; returns its name as stored. InputError when the name is
        empty or taken (capitals ignored)."""
        tidy = _valid_name(name)
        with self.store.transaction(write=True) as conn:
            if _row(conn, tidy) is not None:
                raise InputError(
                    f"A study named {tidy!r} already exists: add files to it, or choose "
                    "another name."
                )
            return ensure_study(conn, tidy)

    def ensure(self, name: str) -> str:
        """The study ``name``, created if needed; returns its name as stored."""
        tidy = _valid_name(name)
        with self.store.transaction(write=True) as conn:
            return ensure_study(conn, tidy)

    def exists(self, name: str) -> bool:
        with self.store.transaction(write=False) as conn:
            return _row(conn, study_name(name)) is not None

    def list(self) -> builtins.list[StudyListing]:
        """Every study, the one with the latest run (or the newest) first."""
        with self.store.transaction(write=False) as conn:
            rows = conn.execute(
                "SELECT s.name, s.created_at, "
                "(SELECT COUNT(*) FROM study_files f WHERE f.study_id = s.id), "
                "(SELECT COALESCE(SUM(f.quotable), 0) FROM study_files f WHERE f.study_id = s.id),"
                " (SELECT COUNT(*) FROM runs r WHERE r.study = s.name), "
                "COALESCE((SELECT MAX(r.created_at) FROM runs r WHERE r.study = s.name), "
                "s.created_at) AS latest FROM studies s ORDER BY latest DESC, s.name"
            ).fetchall()
        return [
            StudyListing(
                name=row[0],
                created_at=datetime.fromisoformat(row[1]),
                files=row[2],
                passages=row[3],
                runs=row[4],
                latest=datetime.fromisoformat(row[5]),
            )
            for row in rows
        ]

    def get(self, name: str, *, with_runs: bool = True) -> Study:
        """The study ``name`` (capitals ignored) with its files and runs (none unless
        ``with_runs``); InputError naming the studies there are when there is no such study."""
        with self.store.transaction(write=False) as conn:
            row = self._row(conn, name)
            files = conn.execute(
                "SELECT name, kind, size, sha256, passages, quotable, added_at, copy "
                "FROM study_files WHERE study_id = ? ORDER BY position",
                (row["id"],),
            ).fetchall()
        folder = self.root / row["id"]
        return Study(
            name=row["name"],
            created_at=datetime.fromisoformat(row["created_at"]),
            files=tuple(
                StudyFile(
                    name=f[0],
                    kind=f[1],
                    size_bytes=f[2],
                    sha256=f[3],
                    passages=f[4],
                    quotable=f[5],
                    added_at=datetime.fromisoformat(f[6]),
                    path=folder / f[7],
                )
                for f in files
            ),
            runs=tuple(self.store.list(limit=None, study=row["name"])) if with_runs else (),
            choices=json.loads(row["choices"]),
            interviewers=json.loads(row["interviewers"]),
            folder=folder,
        )

    def delete(self, name: str) -> int:
        """Delete the study, its copies and its search index; its runs stay in History
        without a study. Returns how many runs it had."""
        with self.store.transaction(write=True) as conn:
            row = self._row(conn, name)
            conn.execute("DELETE FROM study_text WHERE study_id = ?", (row["id"],))
            conn.execute("DELETE FROM studies WHERE id = ?", (row["id"],))
            runs = conn.execute(
                "UPDATE runs SET study = '' WHERE study = ?", (row["name"],)
            ).rowcount
        shutil.rmtree(self.root / row["id"], ignore_errors=True)
        return runs

    def set_choices(
        self, name: str, choices: Mapping[str, Any], interviewers: Mapping[str, str]
    ) -> None:
        """Save how the study's tables and transcripts are read (see ``Study.choices``)."""
        with self.store.transaction(write=True) as conn:
            row = self._row(conn, name)
            conn.execute(
                "UPDATE studies SET choices = ?, interviewers = ? WHERE id = ?",
                (
                    json.dumps(dict(choices), ensure_ascii=False),
                    json.dumps(dict(interviewers), ensure_ascii=False),
                    row["id"],
                ),
            )

    # --- files ----------------------------------------------------------------

    def add_file(
        self,
        name: str,
        file: str,
        copy: bytes,
        *,
        sha256: str,
        size_bytes: int,
        kind: str,
        passages: Sequence[Passage],
    ) -> StudyFile:
        """Keep ``copy`` as the study's file ``file`` (replacing a file of that name) and
        index its ``passages`` for search."""
        now = datetime.now(UTC)
        with self.store.transaction(write=True) as conn:
            row = self._row(conn, name)
            folder = private_dir(self.root / row["id"])
            old = conn.execute(
                "SELECT copy, position FROM study_files WHERE study_id = ? AND name = ?",
                (row["id"], file),
            ).fetchone()
            if old is None:
                (position,) = conn.execute(
                    "SELECT COALESCE(MAX(position) + 1, 0) FROM study_files WHERE study_id = ?",
                    (row["id"],),
                ).fetchone()
                stored = _copy_name(conn, row["id"], file)
            else:
                stored, position = old
            write_private(folder / stored, copy)
            quotable = sum(p.citable for p in passages)
            conn.execute(
                "INSERT OR REPLACE INTO study_files (study_id, name, copy, sha256, size, kind, "
                "passages, quotable, added_at, position) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    row["id"],
                    file,
                    stored,
                    sha256,
                    size_bytes,
                    kind,
                    len(passages),
                    quotable,
                    now.isoformat(),
                    position,
                ),
            )
            index_passages(conn, row["id"], file, passages)
        return StudyFile(
            file, kind, size_bytes, sha256, len(passages), quotable, now, folder / stored
        )

    def update_passages(self, name: str, file: str, passages: Sequence[Passage]) -> None:
        """Index ``file`` again with the passages it now reads as (after a choice changed)."""
        with self.store.transaction(write=True) as conn:
            row = self._row(conn, name)
            conn.execute(
                "UPDATE study_files SET passages = ?, quotable = ? WHERE study_id = ? AND name = ?",
                (len(passages), sum(p.citable for p in passages), row["id"], file),
            )
            index_passages(conn, row["id"], file, passages)

    def remove_files(self, name: str, files: Iterable[str]) -> builtins.list[str]:
        """Remove files from the study, deleting their copies; returns those removed.
        InputError, naming the study's files, when one is not in the study (nothing removed)."""
        wanted = list(dict.fromkeys(files))
        with self.store.transaction(write=True) as conn:
            row = self._row(conn, name)
            kept = dict(
                conn.execute(
                    "SELECT name, copy FROM study_files WHERE study_id = ?", (row["id"],)
                ).fetchall()
            )
            unknown = [f for f in wanted if f not in kept]
            if unknown:
                have = ", ".join(sorted(kept)) or "none"
                raise InputError(
                    f"{', '.join(unknown)} {'is' if len(unknown) == 1 else 'are'} not in the "
                    f"study {row['name']!r}. Its files: {have}."
                )
            for file in wanted:
                conn.execute(
                    "DELETE FROM study_files WHERE study_id = ? AND name = ?", (row["id"], file)
                )
                conn.execute(
                    "DELETE FROM study_text WHERE study_id = ? AND file = ?", (row["id"], file)
                )
        for file in wanted:
            (self.root / row["id"] / kept[file]).unlink(missing_ok=True)
        return wanted

    # --- search ---------------------------------------------------------------

    def search(self, name: str, query: str, limit: int = 50) -> builtins.list[SearchHit]:
        """Passages of the study matching ``query``, best first: words (accents and
        capitals ignored; ``word*`` for a prefix, ``"two words"`` for a phrase, ``OR`` and
        ``NOT``). Anything FTS5 cannot read is searched as plain words."""
        with self.store.transaction(write=False) as conn:
            return search_study(conn, self._row(conn, name)["id"], query, limit)

    # --- plumbing -------------------------------------------------------------

    def _row(self, conn: sqlite3.Connection, name: str) -> sqlite3.Row:
        row = _row(conn, study_name(name))
        if row is None:
            names = [r[0] for r in conn.execute("SELECT name FROM studies ORDER BY name")]
            have = f"The studies are: {', '.join(names)}." if names else "There are none yet."
            raise InputError(
                f"No study named {study_name(name)!r}. {have} Create one by adding files "
                "(`persona study add NAME FILES...`)."
            )
        return row


def _valid_name(name: str) -> str:
    tidy = study_name(name)
    if not tidy:
        raise InputError("Give the study a name (e.g. “Onboarding interviews 2026”).")
    return tidy


def _row(conn: sqlite3.Connection, name: str) -> sqlite3.Row | None:
    found: sqlite3.Row | None = conn.execute(
        "SELECT id, name, created_at, choices, interviewers FROM studies "
        "WHERE fold(name) = fold(?)",
        (name,),
    ).fetchone()
    return found


def _copy_name(conn: sqlite3.Connection, study_id: str, file: str) -> str:
    """A file name for the copy of ``file``: its own base name, numbered when taken."""
    base = Path(file).name or "file"
    stem, suffix = Path(base).stem, Path(base).suffix
    taken = {
        row[0]
        for row in conn.execute("SELECT copy FROM study_files WHERE study_id = ?", (study_id,))
    }
    candidate, number = base, 1
    while candidate in taken:
        number += 1
        candidate = f"{stem}-{number}{suffix}"
    return candidate

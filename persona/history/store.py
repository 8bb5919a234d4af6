"""Run history in SQLite, saved as each persona is made.

Every operation opens its own connection and runs in one transaction, so a Store is safe
to share between threads, Streamlit sessions and processes, and a crash never leaves half
a write. The database is in WAL mode; its layout is versioned with ``PRAGMA user_version``.

A run is ``running`` while the process writing it is alive. When the store finds a running
run whose writer is gone (a crash, a server restart), it marks the run ``interrupted`` and
keeps the personas saved so far. Runs written from another machine (a shared folder) are
left as they are, since their writer cannot be checked from here.

The store keeps personas, settings, file names and content hashes; the research text
itself only when the user opted in (``Run.research_text``). Deleted rows are overwritten
(``secure_delete``). The folder is owner-only (0700) and the database files 0600.

Runs belong to a study by name; the studies themselves (their files, choices and search
index) are kept in the same database by :mod:`persona.history.studies`. Every study name a
run carries is a study there (:func:`ensure_study`).
"""

from __future__ import annotations

import builtins
import errno
import json
import os
import secrets
import socket
import sqlite3
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any, get_args

import psutil
from pydantic import ValidationError

from persona.core.conversation import ChatTurn
from persona.core.errors import InputError, StoreError
from persona.core.private import ensure_private_file, private_dir, private_file
from persona.core.records import PersonaRecord, Run, RunStatus, run_title
from persona.core.setting_rules import default_data_dir
from persona.core.verdicts import RunSummary, run_summary

FILENAME = "history.sqlite3"
SCHEMA_VERSION = 7
_BUSY_SECONDS = 15.0
_INTERRUPTED = "The app stopped before this run finished; the personas saved so far are kept."


def _backfill_search_text(conn: sqlite3.Connection) -> None:
    """Version 2 searches claims and quotes: fill ``search_text`` of the saved personas."""
    rows = conn.execute("SELECT run_id, idx, data FROM records").fetchall()
    for run_id, index, data in rows:
        try:
            text = _search_text(PersonaRecord.model_validate_json(data))
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


def _study_id(conn: sqlite3.Connection, name: str) -> str | None:
    """The id of the study named ``name`` (case ignored), if there is one."""
    found = conn.execute(
        "SELECT id FROM studies WHERE fold(name) = fold(?)", (study_name(name),)
    ).fetchone()
    return None if found is None else str(found[0])


def _has_files(conn: sqlite3.Connection, study_id: str) -> bool:
    found = conn.execute("SELECT 1 FROM study_files WHERE study_id = ?", (study_id,))
    return found.fetchone() is not None


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
        (secrets.token_hex(8), name, created_at or datetime.now(timezone.utc).isoformat()),
    )
    return name


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

_MIGRATIONS: tuple[tuple[Migration, ...], ...] = (
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
"""``_MIGRATIONS[n]`` takes the database from version ``n`` to ``n + 1``."""

_RUN_COLUMNS = (
    "id, created_at, kind, model, frontier_model, status, message, options, files, "
    "file_names, usage, raw_answers, research_text, owner, engine, speakers, study"
)
_JSON_COLUMNS = ("options", "files", "usage", "raw_answers", "speakers")


def history_path(data_dir: Path | None = None) -> Path:
    """The history database in ``data_dir`` (default: :func:`default_data_dir`)."""
    return (data_dir if data_dir is not None else default_data_dir()) / FILENAME


@dataclass(frozen=True)
class RunListing:
    """What the history list shows of a run, read without loading its personas."""

    id: str
    created_at: datetime
    kind: str
    model: str
    frontier_model: str | None
    file_names: tuple[str, ...]
    persona_count: int
    status: str
    summary: RunSummary
    """Usable personas and quotes in your data (:mod:`persona.core.verdicts`)."""
    engine: str = ""
    """Which engine made the run (empty for runs saved before Persona recorded it)."""
    study: str = ""
    persona_names: tuple[str, ...] = ()

    @property
    def personas_text(self) -> str:
        """``2 usable personas of 3``, or ``none`` for a run without personas."""
        return self.summary.personas_text if self.persona_count else "none"

    @property
    def title(self) -> str:
        """The same one-line label as :attr:`Run.title`."""
        return run_title(self.study, [*self.persona_names], self.created_at, self.status)


@dataclass(frozen=True)
class StudySummary:
    """A study in History: its name, how many runs it has and when the latest was made."""

    name: str
    runs: int
    latest: datetime


class Store:
    """The run history at ``path`` (default: ``history.sqlite3`` in the data folder)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = Path(path) if path is not None else history_path()
        try:
            private_dir(self.path.parent)
            ensure_private_file(self.path)
        except OSError as exc:
            raise _store_error(self.path, exc) from exc
        self._migrate()
        for companion in ("-wal", "-shm", "-journal"):  # SQLite's own files hold data too
            private_file(self.path.with_name(self.path.name + companion))
        self.mark_interrupted()

    # --- writing -------------------------------------------------------------

    def start(self, run: Run) -> None:
        """Save ``run`` as running, before any persona exists."""
        self.save(run.model_copy(update={"status": "running"}))

    def save(self, run: Run) -> None:
        """Insert or replace the whole run and its records."""
        row = _run_row(run)
        columns = ", ".join(row)
        names = ", ".join(f":{column}" for column in row)
        updates = ", ".join(f"{column} = excluded.{column}" for column in row if column != "id")
        with self.transaction(write=True) as conn:
            row["study"] = ensure_study(conn, study_name(row["study"]))
            conn.execute(
                f"INSERT INTO runs ({columns}) VALUES ({names}) "
                f"ON CONFLICT (id) DO UPDATE SET {updates}",
                row,
            )
            conn.execute("DELETE FROM records WHERE run_id = ?", (run.id,))
            for index, record in enumerate(run.records):
                _insert_record(conn, run.id, index, record)

    def add_record(self, run_id: str, record: PersonaRecord) -> int:
        """Append a persona to a saved run, committed at once; returns its index."""
        with self.transaction(write=True) as conn:
            self._touch(conn, run_id)
            (index,) = conn.execute(
                "SELECT COALESCE(MAX(idx) + 1, 0) FROM records WHERE run_id = ?", (run_id,)
            ).fetchone()
            _insert_record(conn, run_id, index, record)
        return index

    def update_record(self, run_id: str, index: int, record: PersonaRecord) -> None:
        """Replace persona ``index`` of a run (after refinement, or the user's choices)."""
        with self.transaction(write=True) as conn:
            self._touch(conn, run_id)
            found = conn.execute(
                "DELETE FROM records WHERE run_id = ? AND idx = ?", (run_id, index)
            ).rowcount
            if not found:
                raise InputError(f"Run {run_id} has no persona number {index + 1}.")
            _insert_record(conn, run_id, index, record)

    def finish(
        self,
        run_id: str,
        status: RunStatus,
        message: str = "",
        usage: dict[str, Any] | None = None,
        raw_answers: list[str] | None = None,
    ) -> None:
        """Record how a run ended; ``usage`` and ``raw_answers`` replace the saved ones if given."""
        if status not in get_args(RunStatus):
            raise InputError(f"Unknown run status {status!r}.")
        with self.transaction(write=True) as conn:
            self._touch(conn, run_id)
            conn.execute(
                "UPDATE runs SET status = ?, message = ?, usage = COALESCE(?, usage), "
                "raw_answers = COALESCE(?, raw_answers) WHERE id = ?",
                (
                    status,
                    message,
                    None if usage is None else json.dumps(usage, default=str),
                    None if raw_answers is None else json.dumps(raw_answers),
                    run_id,
                ),
            )

    def save_chunk(self, run_id: str, passages: list[str], findings: list[dict[str, Any]]) -> int:
        """Keep one chunk's findings (and the passage IDs they cover) the moment they exist;
        returns the chunk's number within the run."""
        with self.transaction(write=True) as conn:
            self._touch(conn, run_id)
            (index,) = conn.execute(
                "SELECT COALESCE(MAX(idx) + 1, 0) FROM chunks WHERE run_id = ?", (run_id,)
            ).fetchone()
            conn.execute(
                "INSERT INTO chunks (run_id, idx, passages, findings) VALUES (?, ?, ?, ?)",
                (run_id, index, json.dumps(passages), json.dumps(findings, ensure_ascii=False)),
            )
        return index

    def chunks(self, run_id: str) -> list[tuple[int, list[str], list[dict[str, Any]]]]:
        """(number, passage IDs, findings) of every chunk saved for ``run_id``, in order."""
        with self.transaction(write=False) as conn:
            rows = conn.execute(
                "SELECT idx, passages, findings FROM chunks WHERE run_id = ? ORDER BY idx",
                (run_id,),
            ).fetchall()
        return [(idx, json.loads(passages), json.loads(found)) for idx, passages, found in rows]

    def delete(self, run_id: str) -> bool:
        """Delete a run and its personas; False if there was no such run."""
        return self.delete_many([run_id]) > 0

    def delete_many(self, run_ids: Iterable[str]) -> int:
        """Delete runs and their personas in one transaction; returns how many existed."""
        ids = list(dict.fromkeys(run_ids))
        with self.transaction(write=True) as conn:
            deleted = sum(
                conn.execute("DELETE FROM runs WHERE id = ?", (run_id,)).rowcount for run_id in ids
            )
        with self._connection() as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return deleted

    def set_study(self, run_ids: Iterable[str], study: str) -> int:
        """Move runs to the study named ``study``; returns how many runs moved."""
        name = study_name(study)
        ids = list(dict.fromkeys(run_ids))
        with self.transaction(write=True) as conn:
            name = ensure_study(conn, name)
            return sum(
                conn.execute("UPDATE runs SET study = ? WHERE id = ?", (name, run_id)).rowcount
                for run_id in ids
            )

    def rename_study(self, old: str, new: str) -> int:
        """Rename a study (its runs, files and choices go with it); returns how many runs it
        has. Renaming onto another study's name joins their runs when at most one of the two
        has files; two studies with files are kept apart (InputError)."""
        name = study_name(new)
        with self.transaction(write=True) as conn:
            moving = _study_id(conn, old)
            target = _study_id(conn, name)
            if moving and target and moving != target:
                if _has_files(conn, moving) and _has_files(conn, target):
                    raise InputError(
                        f"Both {old!r} and {name!r} are studies with files: choose another "
                        "name, or remove one study's files first."
                    )
                keep, drop = (moving, target) if _has_files(conn, moving) else (target, moving)
                conn.execute("DELETE FROM studies WHERE id = ?", (drop,))
                conn.execute("UPDATE studies SET name = ? WHERE id = ?", (name, keep))
            elif moving:
                conn.execute("UPDATE studies SET name = ? WHERE id = ?", (name, moving))
            else:
                ensure_study(conn, name)
            return conn.execute("UPDATE runs SET study = ? WHERE study = ?", (name, old)).rowcount

    def mark_interrupted(self) -> int:
        """Mark running runs whose writing process is gone as interrupted; returns how many."""
        with self.transaction(write=False) as conn:
            running = conn.execute("SELECT id, owner FROM runs WHERE status = 'running'")
            orphans = [(run_id, owner) for run_id, owner in running if not _alive(owner)]
        if not orphans:
            return 0
        with self.transaction(write=True) as conn:
            return sum(
                conn.execute(
                    "UPDATE runs SET status = 'interrupted', message = ? "
                    "WHERE id = ? AND owner = ? AND status = 'running'",
                    (_INTERRUPTED, run_id, owner),
                ).rowcount
                for run_id, owner in orphans
            )

    # --- reading -------------------------------------------------------------

    def get(self, run_id: str) -> Run:
        """The saved run ``run_id`` with all its personas."""
        self.mark_interrupted()
        with self.transaction(write=False) as conn:
            row = conn.execute(f"SELECT {_RUN_COLUMNS} FROM runs WHERE id = ?", (run_id,))
            found = row.fetchone()
            if found is None:
                raise InputError(
                    f"No saved run with id {run_id!r}: it may have been deleted. "
                    "Pick another run from the history."
                )
            records = conn.execute(
                "SELECT data FROM records WHERE run_id = ? ORDER BY idx", (run_id,)
            ).fetchall()
        data = dict(found)
        for column in _JSON_COLUMNS:
            data[column] = json.loads(data[column])
        data["records"] = [json.loads(text) for (text,) in records]
        try:
            return Run.model_validate(data)
        except ValidationError as exc:
            raise StoreError(
                f"The saved run {run_id} could not be read ({exc.error_count()} problems); "
                "it may come from a newer Persona version. Update Persona, or delete the run."
            ) from exc

    def list(
        self,
        limit: int | None = 50,
        search: str | None = None,
        *,
        statuses: Iterable[str] | None = None,
        study: str | None = None,
    ) -> list[RunListing]:
        """Saved runs, newest first.

        ``search`` words must each match a persona's name, role, bio, claims or quotes, a
        file name, the study or a model (case and accents ignored); ``statuses`` and
        ``study`` keep only runs with one of those statuses, or in that study.
        """
        self.mark_interrupted()
        clauses: builtins.list[str] = []
        params: dict[str, Any] = {"limit": -1 if limit is None else limit}
        for n, word in enumerate((search or "").split()):
            params[f"w{n}"] = f"%{_like_escape(_fold(word))}%"
            like = f"LIKE :w{n} ESCAPE '\\'"
            clauses.append(
                f"(fold(r.model) {like} OR fold(r.frontier_model) {like} OR fold(r.engine) {like} "
                f"OR fold(r.file_names) {like} OR fold(r.study) {like} "
                "OR EXISTS (SELECT 1 FROM records q WHERE q.run_id = r.id AND "
                f"(fold(q.name) {like} OR fold(q.role) {like} OR q.search_text {like})))"
            )
        if statuses is not None:
            wanted = list(statuses)
            names = [f":s{n}" for n in range(len(wanted))]
            params.update({f"s{n}": status for n, status in enumerate(wanted)})
            clauses.append(f"r.status IN ({', '.join(names)})" if names else "0")
        if study is not None:
            params["study"] = study
            clauses.append("r.study = :study")
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        with self.transaction(write=False) as conn:
            rows = conn.execute(
                "SELECT r.id, r.created_at, r.kind, r.model, r.frontier_model, r.file_names, "
                "r.status, COUNT(p.idx), COALESCE(SUM(p.found), 0), "
                "COALESCE(SUM(p.checked), 0), COALESCE(SUM(p.total), 0), r.engine, r.study, "
                "(SELECT GROUP_CONCAT(name, char(10)) FROM "
                "(SELECT n.name FROM records n WHERE n.run_id = r.id ORDER BY n.idx)), "
                "COALESCE(SUM(p.usable), 0) "
                f"FROM runs r LEFT JOIN records p ON p.run_id = r.id {where} "
                "GROUP BY r.id ORDER BY r.created_at DESC, r.rowid DESC LIMIT :limit",
                params,
            ).fetchall()
        return [
            RunListing(
                id=row[0],
                created_at=datetime.fromisoformat(row[1]),
                kind=row[2],
                model=row[3],
                frontier_model=row[4],
                file_names=tuple(row[5].split("\n")) if row[5] else (),
                status=row[6],
                persona_count=row[7],
                summary=RunSummary(
                    personas=row[7], usable=row[14], quotes=row[10], found=row[8], checked=row[9]
                ),
                engine=row[11],
                study=row[12],
                persona_names=tuple(row[13].split("\n")) if row[13] else (),
            )
            for row in rows
        ]

    def studies(self) -> builtins.list[StudySummary]:
        """Every study with runs, the one with the latest run first."""
        with self.transaction(write=False) as conn:
            rows = conn.execute(
                "SELECT study, COUNT(*), MAX(created_at) FROM runs GROUP BY study "
                "ORDER BY MAX(created_at) DESC"
            ).fetchall()
        return [StudySummary(row[0], row[1], datetime.fromisoformat(row[2])) for row in rows]

    def add_turn(self, run_id: str, persona: int, turn: ChatTurn) -> None:
        """Append one question and answer to the conversation with persona ``persona``."""
        with self.transaction(write=True) as conn:
            if conn.execute("SELECT 1 FROM runs WHERE id = ?", (run_id,)).fetchone() is None:
                raise InputError(f"No saved run with id {run_id!r}: it may have been deleted.")
            conn.execute(
                "INSERT INTO chats (run_id, persona, turn, data) VALUES (?, ?, "
                "(SELECT COALESCE(MAX(turn) + 1, 0) FROM chats WHERE run_id = ? AND persona = ?), "
                "?)",
                (run_id, persona, run_id, persona, turn.model_dump_json()),
            )

    def conversation(self, run_id: str, persona: int) -> builtins.list[ChatTurn]:
        """The saved conversation with persona ``persona`` of a run, oldest first."""
        with self.transaction(write=False) as conn:
            rows = conn.execute(
                "SELECT data FROM chats WHERE run_id = ? AND persona = ? ORDER BY turn",
                (run_id, persona),
            ).fetchall()
        return [ChatTurn.model_validate_json(text) for (text,) in rows]

    def clear_conversation(self, run_id: str, persona: int) -> None:
        """Forget the conversation with persona ``persona`` of a run."""
        with self.transaction(write=True) as conn:
            conn.execute("DELETE FROM chats WHERE run_id = ? AND persona = ?", (run_id, persona))

    def usages(self, model: str, limit: int = 20) -> builtins.list[dict[str, Any]]:
        """The ``usage`` of the latest finished runs made with ``model``, newest first."""
        with self.transaction(write=False) as conn:
            rows = conn.execute(
                "SELECT usage FROM runs WHERE model = ? AND status != 'running' "
                "ORDER BY created_at DESC, rowid DESC LIMIT ?",
                (model, limit),
            ).fetchall()
        return [json.loads(row[0]) for row in rows]

    # --- plumbing ------------------------------------------------------------

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        """A fresh autocommit connection, closed afterwards; SQLite errors become PersonaError."""
        conn: sqlite3.Connection | None = None
        try:
            conn = sqlite3.connect(self.path, timeout=_BUSY_SECONDS, isolation_level=None)
            conn.row_factory = sqlite3.Row
            conn.create_function("fold", 1, _fold, deterministic=True)
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA secure_delete = ON")
            yield conn
        except (sqlite3.IntegrityError, sqlite3.ProgrammingError, sqlite3.InterfaceError):
            raise  # a bug in Persona, not a problem with the file
        except (sqlite3.Error, OSError) as exc:
            raise _store_error(self.path, exc) from exc
        finally:
            if conn is not None:
                conn.close()

    @contextmanager
    def transaction(self, write: bool) -> Iterator[sqlite3.Connection]:
        """One transaction: committed if the block finishes, rolled back otherwise."""
        with self._connection() as conn:
            conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
            try:
                yield conn
            except BaseException:
                conn.rollback()
                raise
            conn.commit()

    def _migrate(self) -> None:
        with self._connection() as conn:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("BEGIN IMMEDIATE")
            (version,) = conn.execute("PRAGMA user_version").fetchone()
            if version > SCHEMA_VERSION:
                conn.rollback()
                raise StoreError(
                    f"The run history at {self.path} was written by a newer version of Persona. "
                    "Update Persona, or set PERSONA_DATA_DIR to another folder."
                )
            for steps in _MIGRATIONS[version:]:
                for step in steps:
                    if isinstance(step, str):
                        conn.execute(step)
                    else:
                        step(conn)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            conn.commit()

    @staticmethod
    def _touch(conn: sqlite3.Connection, run_id: str) -> None:
        """Claim ``run_id`` for this process, or raise InputError if it is not saved."""
        claimed = conn.execute(
            "UPDATE runs SET owner = ? WHERE id = ?", (_this_process(os.getpid()), run_id)
        ).rowcount
        if not claimed:
            raise InputError(f"No saved run with id {run_id!r}: start the run before adding to it.")


def _run_row(run: Run) -> dict[str, Any]:
    data = run.model_dump(mode="json", exclude={"records"})
    row = {column: data[column] for column in _RUN_COLUMNS.split(", ") if column in data}
    for column in _JSON_COLUMNS:
        row[column] = json.dumps(row[column], ensure_ascii=False)
    row["created_at"] = run.created_at.isoformat(timespec="microseconds")
    row["file_names"] = "\n".join(f.name for f in run.files)
    row["owner"] = _this_process(os.getpid())
    return row


def _insert_record(
    conn: sqlite3.Connection, run_id: str, index: int, record: PersonaRecord
) -> None:
    current = record.current
    counted = run_summary([current])
    conn.execute(
        "INSERT INTO records (run_id, idx, data, name, role, found, checked, total, usable, "
        "search_text) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            run_id,
            index,
            record.model_dump_json(),
            current.name,
            current.role,
            counted.found,
            counted.checked,
            counted.quotes,
            counted.usable,
            _search_text(record),
        ),
    )


def _search_text(record: PersonaRecord) -> str:
    """What History searches in a persona besides its name and role: bio, claims, quotes."""
    persona = record.current
    parts = [persona.bio, *(claim.text for _, claim in persona.claims())]
    parts += [evidence.quote for evidence in persona.all_evidence()]
    return _fold("\n".join(parts))


def study_name(name: str) -> str:
    """A study name as stored: one line, spaces tidied; empty means no study."""
    return " ".join(name.split())[:200]


@lru_cache
def _this_process(pid: int) -> str:
    """Who writes: host, process id and process start time (process ids get reused)."""
    return f"{socket.gethostname()}|{pid}|{psutil.Process(pid).create_time()!r}"


def _alive(owner: str) -> bool:
    """Whether the process that last wrote a run still runs (True when it cannot be told)."""
    try:
        host, pid, started = owner.split("|")
        if host != socket.gethostname():
            return True
        return abs(psutil.Process(int(pid)).create_time() - float(started)) < 1.0
    except (ValueError, psutil.Error):
        return False


def _fold(text: str | None) -> str:
    """``text`` lower-cased without accents, for searching."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _store_error(path: Path, exc: BaseException) -> StoreError:
    """A StoreError that says what went wrong with the history file and what to do."""
    text = str(exc).lower()
    if getattr(exc, "errno", None) == errno.ENOSPC or "disk is full" in text:
        hint = "The disk is full: free some space, then try again."
    elif "not a database" in text or "malformed" in text:
        hint = (
            f"The history file is damaged: move {path.name} out of {path.parent} to start "
            "a new history, or set PERSONA_DATA_DIR to another folder."
        )
    elif "locked" in text or "busy" in text:
        hint = "Another Persona window is writing to it: try again in a moment."
    else:
        hint = "Set PERSONA_DATA_DIR to a folder you can write to, then restart Persona."
    return StoreError(f"Could not use the run history at {path} ({exc}). {hint}")

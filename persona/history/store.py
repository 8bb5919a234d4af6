"""Run history in SQLite, saved as each persona is made.

Every operation opens its own connection and runs in one transaction, so a Store is safe
to share between threads, Streamlit sessions and processes, and a crash never leaves half
a write. The database is in WAL mode; its layout is versioned
(:mod:`persona.history.migrations`).

A run is ``running`` while the process writing it is alive; the store marks the runs of
writers that are gone ``interrupted`` (:mod:`persona.history.liveness`).

The store keeps personas, settings, file names and content hashes; the research text
itself only when the user opted in (``Run.research_text``). Deleted rows are overwritten
(``secure_delete``). The folder is owner-only (0700) and the database files 0600.

Runs belong to a study by name; the studies themselves (their files, choices and search
index) are kept in the same database by :mod:`persona.history.studies`. Every study name a
run carries is a study there (:func:`~persona.history.study_names.ensure_study`). What the
History list shows and searches: :mod:`persona.history.listing`.
"""

from __future__ import annotations

import builtins
import errno
import json
import os
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, get_args

from pydantic import ValidationError

from persona.core.conversation import ChatTurn
from persona.core.errors import InputError, StoreError
from persona.core.private import ensure_private_file, private_dir, private_file
from persona.core.records import PersonaRecord, Run, RunStatus
from persona.core.setting_rules import default_data_dir
from persona.core.verdicts import run_summary
from persona.history import liveness
from persona.history.listing import RunListing, StudySummary, list_runs
from persona.history.migrations import migrate
from persona.history.run_search import search_fold, search_text
from persona.history.study_names import ensure_study, has_files, study_id, study_name

FILENAME = "history.sqlite3"
_BUSY_SECONDS = 15.0
_RUN_COLUMNS = (
    "id, created_at, kind, model, frontier_model, status, message, options, files, "
    "file_names, usage, raw_answers, research_text, owner, engine, speakers, study"
)
_JSON_COLUMNS = ("options", "files", "usage", "raw_answers", "speakers")


def history_path(data_dir: Path | None = None) -> Path:
    """The history database in ``data_dir`` (default: :func:`default_data_dir`)."""
    return (data_dir if data_dir is not None else default_data_dir()) / FILENAME


class Store:
    """The run history at ``path`` (default: ``history.sqlite3`` in the data folder)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = Path(path) if path is not None else history_path()
        try:
            private_dir(self.path.parent)
            ensure_private_file(self.path)
        except OSError as exc:
            raise _store_error(self.path, exc) from exc
        with self._connection() as conn:
            migrate(conn, self.path)
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
            (found,) = conn.execute(
                "SELECT COALESCE(MAX(idx) + 1, 0) FROM records WHERE run_id = ?", (run_id,)
            ).fetchone()
            index = int(found)
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
            (found,) = conn.execute(
                "SELECT COALESCE(MAX(idx) + 1, 0) FROM chunks WHERE run_id = ?", (run_id,)
            ).fetchone()
            index = int(found)
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
            moving = study_id(conn, old)
            target = study_id(conn, name)
            if moving and target and moving != target:
                if has_files(conn, moving) and has_files(conn, target):
                    raise InputError(
                        f"Both {old!r} and {name!r} are studies with files: choose another "
                        "name, or remove one study's files first."
                    )
                keep, drop = (moving, target) if has_files(conn, moving) else (target, moving)
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
            orphans = liveness.orphans(conn)
        if not orphans:
            return 0
        with self.transaction(write=True) as conn:
            return liveness.mark_interrupted(conn, orphans)

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
        with self.transaction(write=False) as conn:
            return list_runs(conn, limit, search, statuses=statuses, study=study)

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
            conn.create_function("fold", 1, search_fold, deterministic=True)
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

    @staticmethod
    def _touch(conn: sqlite3.Connection, run_id: str) -> None:
        """Claim ``run_id`` for this process, or raise InputError if it is not saved."""
        claimed = conn.execute(
            "UPDATE runs SET owner = ? WHERE id = ?", (liveness.this_process(os.getpid()), run_id)
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
    row["owner"] = liveness.this_process(os.getpid())
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
            search_text(record),
        ),
    )


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

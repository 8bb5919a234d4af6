"""What the History list shows of saved runs, read without loading their personas, and
the search over them (words folded as :mod:`persona.history.run_search` folds them)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from persona.core.records import run_title
from persona.core.verdicts import RunSummary
from persona.history.run_search import like_escape, search_fold


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


def list_runs(
    conn: sqlite3.Connection,
    limit: int | None = 50,
    search: str | None = None,
    *,
    statuses: Iterable[str] | None = None,
    study: str | None = None,
) -> list[RunListing]:
    """Saved runs, newest first (see :meth:`persona.history.store.Store.list`)."""
    clauses: list[str] = []
    params: dict[str, Any] = {"limit": -1 if limit is None else limit}
    for n, word in enumerate((search or "").split()):
        params[f"w{n}"] = f"%{like_escape(search_fold(word))}%"
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

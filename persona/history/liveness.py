"""Whether the process writing a run is still alive, and marking the runs of dead writers.

A run is ``running`` while the process writing it is alive. Every write claims the run for
this process (:func:`this_process`: host, process id and start time, since process ids are
reused). When the writer of a running run is gone (a crash, a server restart), the run is
marked ``interrupted`` and keeps the personas saved so far. Runs written from another machine
(a shared folder) are left as they are, since their writer cannot be checked from here.
"""

from __future__ import annotations

import socket
import sqlite3
from functools import lru_cache

import psutil

INTERRUPTED = "The app stopped before this run finished; the personas saved so far are kept."


@lru_cache
def this_process(pid: int) -> str:
    """Who writes: host, process id and process start time (process ids get reused)."""
    return f"{socket.gethostname()}|{pid}|{psutil.Process(pid).create_time()!r}"


def alive(owner: str) -> bool:
    """Whether the process that last wrote a run still runs (True when it cannot be told)."""
    try:
        host, pid, started = owner.split("|")
        if host != socket.gethostname():
            return True
        return abs(psutil.Process(int(pid)).create_time() - float(started)) < 1.0
    except (ValueError, psutil.Error):
        return False


def orphans(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """(run id, owner) of every running run whose writer is gone."""
    running = conn.execute("SELECT id, owner FROM runs WHERE status = 'running'")
    return [(run_id, owner) for run_id, owner in running if not alive(owner)]


def mark_interrupted(conn: sqlite3.Connection, runs: list[tuple[str, str]]) -> int:
    """Mark these orphaned runs interrupted, unless another process claimed one since;
    returns how many were marked."""
    total = 0
    for run_id, owner in runs:
        marked: int = conn.execute(
            "UPDATE runs SET status = 'interrupted', message = ? "
            "WHERE id = ? AND owner = ? AND status = 'running'",
            (INTERRUPTED, run_id, owner),
        ).rowcount
        total += marked
    return total

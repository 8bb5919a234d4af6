"""Files private to the user: the data folder, History, logs and exports."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest

from persona.core.crashlog import log_unexpected
from persona.core.errors import InputError
from persona.core.private import (
    check_writable_dir,
    ensure_private_file,
    private_dir,
    save_new,
    write_private,
)
from persona.core.records import Run
from persona.history.store import Store

pytestmark = pytest.mark.skipif(os.name == "nt", reason="POSIX permission bits")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def loose_umask():
    """The usual umask (022) makes new files world-readable unless Persona says otherwise."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_history_and_its_folder_are_owner_only(tmp_path: Path) -> None:
    tmp_path.chmod(0o755)
    data = tmp_path / "nested" / "persona"
    store = Store(data / "history.sqlite3")
    store.start(Run(model="m"))
    assert mode(data) == 0o700
    assert mode(data.parent) == 0o700  # created for it, so private too
    assert mode(data / "history.sqlite3") == 0o600
    assert mode(tmp_path) == 0o755  # folders that existed above it are left alone


def test_an_existing_world_readable_history_is_tightened(tmp_path: Path) -> None:
    Store(tmp_path / "h.sqlite3")
    (tmp_path / "h.sqlite3").chmod(0o644)
    tmp_path.chmod(0o755)
    Store(tmp_path / "h.sqlite3")
    assert mode(tmp_path / "h.sqlite3") == 0o600
    assert mode(tmp_path) == 0o700


def test_wal_files_are_owner_only_while_open(tmp_path: Path) -> None:
    import sqlite3

    store = Store(tmp_path / "h.sqlite3")
    reader = sqlite3.connect(tmp_path / "h.sqlite3")  # keeps the WAL alive
    reader.execute("SELECT 1 FROM runs").fetchall()
    store.start(Run(model="m"))
    companions = [p for p in tmp_path.iterdir() if p.name.startswith("h.sqlite3-")]
    assert companions, "SQLite keeps -wal and -shm files while a connection is open"
    assert all(mode(p) == 0o600 for p in companions), [(p.name, oct(mode(p))) for p in companions]
    reader.close()


def test_error_log_is_owner_only(tmp_path: Path) -> None:
    try:
        raise KeyError("boom")
    except KeyError as exc:
        path = log_unexpected(exc, "test", data_dir=tmp_path / "data")
    assert path is not None and path.exists()
    assert mode(path) == 0o600 and mode(path.parent) == 0o700
    text = path.read_text()
    assert "KeyError" in text and "Traceback" in text and "test" in text


def test_log_failure_never_raises(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert log_unexpected(ValueError("x"), "t", data_dir=blocker) is None


def test_write_private_replaces_atomically_and_privately(tmp_path: Path) -> None:
    target = tmp_path / "settings.json"
    target.write_text("old")
    target.chmod(0o644)
    write_private(target, b"new")
    assert target.read_bytes() == b"new" and mode(target) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["settings.json"]  # no temporary left


def test_ensure_private_file_creates_empty_and_tightens(tmp_path: Path) -> None:
    ensure_private_file(tmp_path / "a")
    assert (tmp_path / "a").read_bytes() == b"" and mode(tmp_path / "a") == 0o600


def test_save_new_never_overwrites(tmp_path: Path) -> None:
    first = save_new(tmp_path, "personas-2026-01-01-1200.json", b"1")
    second = save_new(tmp_path, "personas-2026-01-01-1200.json", b"2")
    third = save_new(tmp_path, "personas-2026-01-01-1200.json", b"3")
    assert [p.name for p in (first, second, third)] == [
        "personas-2026-01-01-1200.json",
        "personas-2026-01-01-1200-2.json",
        "personas-2026-01-01-1200-3.json",
    ]
    assert [p.read_bytes() for p in (first, second, third)] == [b"1", b"2", b"3"]
    assert all(mode(p) == 0o600 for p in (first, second, third))


def test_save_new_from_many_threads_loses_nothing(tmp_path: Path) -> None:
    saved: list[Path] = []
    threads = [
        threading.Thread(
            target=lambda n=n: saved.append(save_new(tmp_path, "x.md", str(n).encode()))
        )
        for n in range(20)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({p.name for p in saved}) == 20
    assert sorted(int(p.read_bytes()) for p in saved) == list(range(20))


@pytest.mark.parametrize("name", ["../x.json", "a/b.json", "", ".."])
def test_save_new_refuses_paths(tmp_path: Path, name: str) -> None:
    with pytest.raises(InputError):
        save_new(tmp_path, name, b"")


def test_check_writable_dir(tmp_path: Path) -> None:
    assert check_writable_dir(tmp_path / "new" / "out").is_dir()
    (tmp_path / "file").write_text("x")
    with pytest.raises(InputError, match="is a file, not a folder"):
        check_writable_dir(tmp_path / "file")
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    if os.geteuid() != 0:  # root writes anywhere
        with pytest.raises(InputError, match="Cannot write to"):
            check_writable_dir(locked)
    with pytest.raises(InputError):
        check_writable_dir(tmp_path / "file" / "below")


def test_private_dir_tightens_existing(tmp_path: Path) -> None:
    folder = tmp_path / "d"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    assert mode(private_dir(folder)) == 0o700

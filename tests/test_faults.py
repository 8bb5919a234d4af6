"""Faults while working: the server cuts a stream, fails, answers slowly or dies; the app is
stopped or killed mid-run. Every one ends in a clear message and a saved run, never a
traceback, and History stays a sound SQLite file."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from persona.core.background import Worker
from persona.core.errors import PersonaError
from persona.core.setting_rules import Timeouts
from persona.engines.ollama import OllamaClient
from persona.engines.ollama.engine import OllamaEngine
from persona.engines.ollama.pull import track_pull
from persona.generation.pipeline import SavedGeneration
from persona.generation.request import GenerationRequest
from persona.history.store import Store
from persona.ingest import read_paths
from tests.browser import ROOT, Service, start_fake_ollama

SAMPLES = sorted(p for p in (ROOT / "samples").rglob("*") if p.is_file())
MODEL = "llama3.2:3b"


@pytest.fixture(scope="module")
def slow_fake() -> Iterator[Service]:
    """The fake Ollama as a process, streaming slowly enough to be interrupted."""
    service = start_fake_ollama(pull_delay=0.05, token_delay=0.01)
    yield service
    service.stop()


def scenario(fake: Service, name: str, times: int = 1) -> None:
    answer = requests.post(
        f"{fake.url}/_fake/scenario", json={"scenario": name, "times": times}, timeout=5
    )
    answer.raise_for_status()


def local_run(url: str, store: Store, timeouts: Timeouts | None = None) -> SavedGeneration:
    reading = read_paths(SAMPLES)
    engine = OllamaEngine(OllamaClient(url, timeouts=timeouts))
    return SavedGeneration(engine, reading, GenerationRequest(model=MODEL, count=2), store)


def run_to_end(local: SavedGeneration) -> PersonaError | None:
    try:
        for _ in local.events():
            pass
    except PersonaError as exc:
        return exc
    return None


def integrity(path: Path) -> str:
    with sqlite3.connect(path) as conn:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])


# --- the server misbehaves ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("stream_cut", "Ollama"),
        ("oom", "memory"),
        ("stream_error", "error"),
        ("busy", "busy"),
    ],
)
def test_a_failing_server_ends_the_run_with_a_message(
    slow_fake: Service, tmp_path: Path, name: str, words: str
) -> None:
    store = Store(tmp_path / "h.sqlite3")
    scenario(slow_fake, name, times=50)  # every call and retry fails
    try:
        local = local_run(slow_fake.url, store)
        error = run_to_end(local)
    finally:
        scenario(slow_fake, "ok")
    assert error is not None, "the failure must reach the caller as a PersonaError"
    assert words.lower() in str(error).lower(), str(error)
    saved = store.get(local.run.id)
    assert saved.status in ("failed", "partial")
    assert saved.message == str(error) or str(error) in saved.message
    assert integrity(tmp_path / "h.sqlite3") == "ok"


def test_a_slow_first_byte_is_waited_for(slow_fake: Service, tmp_path: Path) -> None:
    """A model that takes a while to load is not an error (no read timeout by default)."""
    store = Store(tmp_path / "h.sqlite3")
    scenario(slow_fake, "slow_first_byte", times=1)
    try:
        local = local_run(slow_fake.url, store)
        assert run_to_end(local) is None
    finally:
        scenario(slow_fake, "ok")
    assert store.get(local.run.id).status in ("complete", "partial")


def test_a_slow_first_byte_past_the_set_timeout_says_so(slow_fake: Service, tmp_path: Path) -> None:
    store = Store(tmp_path / "h.sqlite3")
    scenario(slow_fake, "slow_first_byte", times=50)
    try:
        local = local_run(slow_fake.url, store, Timeouts(load=0.5))
        error = run_to_end(local)
    finally:
        scenario(slow_fake, "ok")
    assert error is not None and "did not" in str(error) and "0.5" in str(error), error
    assert store.get(local.run.id).status == "failed"


def test_stopping_during_a_slow_first_byte_ends_the_run(slow_fake: Service, tmp_path: Path) -> None:
    store = Store(tmp_path / "h.sqlite3")
    scenario(slow_fake, "slow_first_byte", times=1)
    try:
        local = local_run(slow_fake.url, store)
        job = Worker(local.events)
        time.sleep(0.3)
        job.stop()
        assert job.wait(10), "the job ends once the server lets go"
    finally:
        scenario(slow_fake, "ok")
    assert job.state == "stopped"
    assert store.get(local.run.id).status == "interrupted"


def test_stop_closes_the_stream_to_the_server(slow_fake: Service, tmp_path: Path) -> None:
    """Stopping a job closes the HTTP stream: the server sees its client go away."""
    store = Store(tmp_path / "h.sqlite3")
    local = local_run(slow_fake.url, store)
    job = Worker(local.events)
    while not job.drain(timeout=5):  # the model is writing
        pass
    job.stop()
    assert job.wait(5) and job.state == "stopped"
    saved = store.get(local.run.id)
    assert saved.status == "interrupted"
    assert "what was made is kept" in saved.message


# --- the server dies --------------------------------------------------------------------------


def test_server_killed_mid_generation(tmp_path: Path) -> None:
    fake = start_fake_ollama(token_delay=0.01)
    store = Store(tmp_path / "h.sqlite3")
    try:
        local = local_run(fake.url, store)
        events = local.events()
        error: PersonaError | None = None
        try:
            for event in events:
                if event.text:
                    fake.process.kill()  # like a crash or `pkill ollama`
                    fake.process.wait(5)
        except PersonaError as exc:
            error = exc
    finally:
        fake.stop()
    assert error is not None
    assert "Ollama" in str(error) and "Traceback" not in str(error)
    saved = store.get(local.run.id)
    assert saved.status == "failed" and saved.message
    assert integrity(tmp_path / "h.sqlite3") == "ok"


def test_server_killed_mid_pull() -> None:
    fake = start_fake_ollama(pull_delay=0.05)
    try:
        with OllamaClient(fake.url) as client:
            error: PersonaError | None = None
            seen = 0
            try:
                for _event in track_pull(client.pull("llama3.2:1b"), "llama3.2:1b"):
                    seen += 1
                    if seen == 3:
                        fake.process.kill()
                        fake.process.wait(5)
            except PersonaError as exc:
                error = exc
    finally:
        fake.stop()
    assert error is not None, "a pull cut short must not look finished"
    assert "Ollama" in str(error)


# --- the app is stopped or killed -------------------------------------------------------------


def start_cli(fake_url: str, data: Path, out: Path) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "PERSONA_DATA_DIR": str(data),
        "PYTHONPATH": str(ROOT),
        "PYTHONUNBUFFERED": "1",
    }
    code = "import sys; from persona.cli import main; sys.exit(main())"
    command = [sys.executable, "-c", code, "generate", "--host", fake_url, "--model", MODEL]
    command += ["--count", "2", "--out", str(out), "--from", *map(str, SAMPLES)]
    return subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def wait_for_running_run(data: Path, timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (data / "history.sqlite3").exists():
            with sqlite3.connect(data / "history.sqlite3") as conn:
                try:
                    row = conn.execute("SELECT id FROM runs WHERE status = 'running'").fetchone()
                except sqlite3.OperationalError:
                    row = None
            if row:
                return str(row[0])
        time.sleep(0.05)
    raise AssertionError("the CLI never started a run")


def test_ctrl_c_saves_an_interrupted_run(slow_fake: Service, tmp_path: Path) -> None:
    cli = start_cli(slow_fake.url, tmp_path / "data", tmp_path / "out")
    run_id = wait_for_running_run(tmp_path / "data")
    time.sleep(0.5)  # the model is writing
    cli.send_signal(signal.SIGINT)
    out, err = cli.communicate(timeout=30)
    assert cli.returncode == 130, err
    assert "Traceback" not in err + out
    assert f"saved in History as run {run_id} (interrupted)" in err
    run = Store(tmp_path / "data" / "history.sqlite3").get(run_id)
    assert run.status == "interrupted"
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


def test_app_killed_mid_run_is_marked_interrupted(slow_fake: Service, tmp_path: Path) -> None:
    cli = start_cli(slow_fake.url, tmp_path / "data", tmp_path / "out")
    run_id = wait_for_running_run(tmp_path / "data")
    time.sleep(0.5)
    cli.kill()  # no chance to clean up: like a power cut or `kill -9`
    cli.communicate(timeout=10)
    path = tmp_path / "data" / "history.sqlite3"
    assert integrity(path) == "ok"
    run = Store(path).get(run_id)
    assert run.status == "interrupted"
    assert "stopped before this run finished" in run.message


def test_two_runs_at_once_share_history(slow_fake: Service, tmp_path: Path) -> None:
    """Two sessions (threads here, tabs in the browser test) generate at the same time."""
    store = Store(tmp_path / "h.sqlite3")
    runs = [local_run(slow_fake.url, store) for _ in range(2)]
    errors: list[PersonaError | None] = [None, None]
    threads = [
        threading.Thread(target=lambda i=i: errors.__setitem__(i, run_to_end(runs[i])))
        for i in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert errors == [None, None]
    saved = [store.get(run.run.id) for run in runs]
    assert all(run.status in ("complete", "partial") and run.records for run in saved)
    assert integrity(tmp_path / "h.sqlite3") == "ok"

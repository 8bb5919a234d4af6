"""Pages never end in a traceback or a dead end, and show untrusted text as text (AppTest)."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any, cast

import pytest
from streamlit.testing.v1 import AppTest

import persona.api.engines
from persona.core.records import FileRef, PersonaRecord, Run
from persona.core.schema import Persona
from tests.fake_ollama import FakeOllama
from tests.fakes import persona_dict
from tests.test_pages import (  # the same harness as the other page tests
    APP,
    TIMEOUT_S,
    assert_no_exception,
    button,
    open_page,
    stored_runs,
    values,
)

pytestmark = pytest.mark.usefixtures("empty_caches")


HOSTILE_NAME = "![](http://127.0.0.2:9/name.png) <img src=x onerror=alert(1)>"


def saved_run(data: Path, name: str, file_name: str) -> Run:
    persona = Persona.model_validate(persona_dict(name, "Nurse"))
    run = Run(
        model="llama3.2:3b",
        status="complete",
        files=[FileRef(name=file_name, sha256="0" * 64, size_bytes=1, kind="text")],
        records=[PersonaRecord(draft=persona)],
    )
    stored_runs(data).save(run)
    return run


def test_a_bad_setting_is_a_normal_message(monkeypatch: pytest.MonkeyPatch) -> None:
    """The app's guard turns a ConfigError into a message (the browser test covers every
    page: AppTest runs a switched-to page without the entry point around it)."""
    monkeypatch.setenv("OLLAMA_HOST", "http://127.0.0.1:notaport")
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT_S)
    at.run()
    assert_no_exception(at)
    [message] = [e for e in values(at.error) if "OLLAMA_HOST" in e]
    assert "OLLAMA_HOST is set to 'http://127.0.0.1:notaport'" in message
    assert "such as 127.0.0.1:11434" in message


def test_an_unexpected_error_is_an_apology_with_a_way_back(
    monkeypatch: pytest.MonkeyPatch, data_dir: Path, fake_ollama: FakeOllama
) -> None:
    monkeypatch.setenv("OLLAMA_HOST", fake_ollama.url)

    def broken(*_: object) -> None:
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(persona.api.engines, "recommend", broken)
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT_S)
    at.run()
    assert_no_exception(at)
    [apology] = [e for e in values(at.error) if "Sorry" in e]
    assert "(ZeroDivisionError)" in apology and "a bug" not in apology
    assert "Traceback" not in apology
    log = data_dir / "logs" / "errors.log"
    assert str(log) in apology and "a bug" in log.read_text()
    assert [cast(Any, p).label for p in at.get("page_link")] == ["Back to Home"]
    monkeypatch.undo()
    monkeypatch.setenv("PERSONA_DATA_DIR", str(data_dir))
    monkeypatch.setenv("OLLAMA_HOST", fake_ollama.url)
    button(at, "Try again").click().run()
    assert_no_exception(at)
    assert not [e for e in values(at.error) if "Sorry" in e], "the way back works"


def table_key(study: str, runs: list[Run]) -> str:
    """The key History gives a table: it changes whenever the runs the table shows change."""
    ids = [run.id for run in runs]
    return "history_table_" + hashlib.sha1("\n".join([study, *ids]).encode()).hexdigest()[:12]


def test_history_selects_runs_by_id(data_dir: Path) -> None:
    first = saved_run(data_dir, "Ana First", "a.txt")
    second = saved_run(data_dir, "Ben Second", "b.txt")
    third = saved_run(data_dir, "Cy Third", "c.txt")
    at = open_page("history")
    shown = [third, second, first]  # newest first
    assert len(at.dataframe[0].value) == 3
    at.session_state["history_picked"] = {table_key("", shown): [second.id]}  # a click
    at.run()
    assert any("Ben Second" in h for h in values(at.subheader))

    # a search changes the table: the old selection (row positions) cannot follow it
    [search] = [t for t in at.text_input if t.label == "Search"]
    search.set_value("Second").run()
    assert_no_exception(at)
    assert len(at.dataframe[0].value) == 1
    assert at.session_state["history_picked"] == {}, "a stale selection is dropped"
    at.session_state["history_picked"] = {table_key("", [second]): [second.id]}
    at.run()
    assert any("Ben Second" in h for h in values(at.subheader))

    # deleting the last row of the table, then everything still works
    search.set_value("").run()
    at.session_state["history_picked"] = {table_key("", shown): [first.id]}
    at.run()
    button(at, "Delete 1 selected…").click().run()
    button(at, "Yes, delete 1 run(s)").click().run()
    assert_no_exception(at)
    assert [s.id for s in stored_runs(data_dir).list()] == [third.id, second.id]
    assert len(at.dataframe[0].value) == 2
    assert any("Cy Third" in h for h in values(at.subheader))


def test_untrusted_text_is_escaped_on_cards_and_tables(data_dir: Path) -> None:
    saved_run(data_dir, HOSTILE_NAME, "![](http://127.0.0.2:9/file.png).txt")
    at = open_page("history")
    assert_no_exception(at)
    markdown = [
        str(cast(Any, e).value)
        for kind in ("markdown", "caption", "subheader", "error", "warning", "info")
        for e in at.get(kind)
    ]
    raw = [m for m in markdown if re.search(r"(?<!\\)(!\[|\]\(|<img)", m)]
    assert not raw, f"unescaped Markdown or HTML reached the page: {raw}"
    assert any(HOSTILE_NAME in h for h in values(at.subheader))  # shown, literally

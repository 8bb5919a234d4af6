"""Every page that shows personas, with personas a model got wrong: two named alike, one marked
unusable, a run with a wall of warnings; and the sample study a newcomer starts with."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from persona import api
from persona.core.coverage import speakers
from persona.core.diff import NO_CHANGES
from persona.core.records import PersonaRecord, Run
from persona.core.run_warnings import join_warnings
from persona.core.safe_text import escape_markdown
from persona.core.schema import Persona
from persona.dashboard.ui.study import CURRENT
from persona.history.store import Store, history_path
from persona.ingest.sample import SAMPLE_STUDY, sample_files
from tests.fake_ollama import FakeOllama
from tests.fakes import PASSAGES, persona_dict

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT_S = 30.0
SAMPLE_BUTTON = "Try it with a sample study"

NURSE = Persona.model_validate(persona_dict("Anna Berg", "Nurse", PASSAGES[:3]))
DRIVER = Persona.model_validate(persona_dict("Anna Berg", "Night driver", PASSAGES[3:]))
BROKEN = Persona.model_validate(persona_dict("P05-parent.md", "45.69", PASSAGES[3:])).model_copy(
    update={"unusable": ["its name is a file name", "its role is a number"]}
)


@pytest.fixture(autouse=True)
def environment(
    monkeypatch: pytest.MonkeyPatch, fake_ollama: FakeOllama, data_dir: Path
) -> Iterator[None]:
    monkeypatch.setenv("OLLAMA_HOST", fake_ollama.url)
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


def seed(data_dir: Path, *personas: Persona, refined: bool = False, **fields: object) -> Run:
    """A finished run of ``personas`` in History, as a generation would have saved it."""
    run = Run.model_validate(
        {
            "model": "llama3.2:3b",
            "study": "Night shifts",
            "records": [PersonaRecord(draft=p, refined=p if refined else None) for p in personas],
            "status": "complete",
            "speakers": speakers(PASSAGES),
            **fields,
        }
    )
    Store(history_path(data_dir)).save(run)
    return run


def ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.message for e in at.exception]
    return at


def open_page(page: str, **state: object) -> AppTest:
    at = AppTest.from_file(
        str(ROOT / "persona" / "dashboard" / "app.py"), default_timeout=TIMEOUT_S
    )
    ok(at.run())
    for key, value in state.items():
        at.session_state[key] = value
    return ok(at.switch_page(f"pages/{page}.py").run())


def texts(elements) -> list[str]:
    return [str(e.value) for e in elements]


def overlap_matrix(at: AppTest):
    [matrix] = [d.value for d in at.dataframe if "Anna Berg (2)" in list(d.value.columns)]
    return matrix


def chat_choices(at: AppTest) -> list[str]:
    [picker] = [s for s in at.selectbox if s.label == "Persona"]
    return [str(option) for option in picker.options]


# --- two personas with one name ------------------------------------------------------------


def test_generate_shows_two_personas_named_alike(data_dir: Path) -> None:
    run = seed(data_dir, NURSE, DRIVER)
    at = open_page("generate", current_run=run.id, **{CURRENT: run.study})
    assert list(overlap_matrix(at).index) == ["Anna Berg", "Anna Berg (2)"]
    assert f"### {escape_markdown('Anna Berg (2)')}" in texts(at.markdown)
    assert chat_choices(at) == ["Anna Berg", "Anna Berg (2)"]  # Talk to a persona is offered


def test_history_shows_two_personas_named_alike(data_dir: Path) -> None:
    seed(data_dir, NURSE, DRIVER)
    at = open_page("history")
    assert list(overlap_matrix(at).columns) == ["Anna Berg", "Anna Berg (2)"]
    assert chat_choices(at) == ["Anna Berg", "Anna Berg (2)"]


def test_hybrid_shows_two_personas_named_alike_and_still_offers_the_review(data_dir: Path) -> None:
    run = seed(data_dir, NURSE, DRIVER, frontier_model="claude-sonnet-4-5", kind="hybrid")
    at = open_page("hybrid", hy_run=run.id)
    at.file_uploader[0].set_value([(name, data, "text/plain") for name, data in sample_files()])
    ok(at.run())
    assert list(overlap_matrix(at).columns) == ["Anna Berg", "Anna Berg (2)"]
    assert "2 · Review what would be sent" in texts(at.subheader)
    assert chat_choices(at) == ["Anna Berg", "Anna Berg (2)"]


def test_compare_shows_two_personas_named_alike(data_dir: Path) -> None:
    first = seed(data_dir, NURSE, DRIVER)
    second = seed(data_dir, DRIVER, NURSE)
    entries = [("llama3.2:3b", first.id, None), ("qwen2.5:3b", second.id, None)]
    at = open_page("compare", cmp_entries=entries)
    [table] = [d.value for d in at.dataframe if "llama3.2:3b" in list(d.value.columns)]
    assert "Anna Berg — Nurse (usable)" in table["llama3.2:3b"].tolist()
    assert texts(at.markdown).count("### Anna Berg") == 4


# --- a persona marked unusable --------------------------------------------------------------


def test_an_unusable_persona_is_not_offered_for_chat_nor_given_a_share(data_dir: Path) -> None:
    run = seed(data_dir, NURSE, BROKEN)
    at = open_page("generate", current_run=run.id, **{CURRENT: run.study})
    assert chat_choices(at) == ["Anna Berg"]
    captions = texts(at.caption)
    assert any(
        "P05-parent.md cannot be talked to: it is marked unusable (its name is a file name; its "
        "role is a number)" in c.replace("\\", "")
        for c in captions
    ), captions
    [shares] = [d.value for d in at.dataframe if "Share of the study" in list(d.value.columns)]
    assert shares["Persona"].tolist() == ["Anna Berg"]
    assert any(
        "Left out of the coverage (marked unusable): P05" in c.replace("\\", "") for c in captions
    )


def test_a_run_of_only_unusable_personas_offers_no_chat(data_dir: Path) -> None:
    run = seed(data_dir, BROKEN)
    at = open_page("history")
    assert not [s for s in at.selectbox if s.label == "Persona"]
    assert not at.chat_input
    assert any("no one to talk to" in i for i in texts(at.info))
    assert not [d for d in at.dataframe if "Share of the study" in list(d.value.columns)]
    assert run.id == Store(history_path(data_dir)).list()[0].id


def test_history_counts_usable_personas_of_all(data_dir: Path) -> None:
    seed(data_dir, NURSE, BROKEN)
    at = open_page("history")
    table = at.dataframe[0].value
    assert table["Personas"].tolist() == ["1 usable persona of 2"]
    status = next((p for p in at.button_group if p.label == "Status"), None)
    assert status is not None


# --- warnings and track changes ---------------------------------------------------------------


def test_warnings_show_one_line_per_kind_with_the_details_apart(data_dir: Path) -> None:
    wall = [
        "Trimmed over-long text: age was 412 characters; trimmed to 40",
        "Trimmed over-long text: age was 97 characters; trimmed to 40",
        "P05-parent.md is marked unusable: its name is a file name.",
    ] * 3
    run = seed(data_dir, NURSE, status="partial", message=join_warnings(wall))
    at = open_page("generate", current_run=run.id, **{CURRENT: run.study})
    [warning] = [w for w in texts(at.warning) if "ages trimmed" in w]
    lines = ["6 over-long ages trimmed", "3 personas marked unusable"]
    assert warning == "\n".join(f"- {escape_markdown(line)}" for line in lines)
    [details] = [e for e in at.expander if e.label.startswith("Details")]
    assert details.label == "Details (3)"


def test_track_changes_says_no_changes_when_nothing_changed(data_dir: Path) -> None:
    run = seed(data_dir, NURSE, refined=True, frontier_model="claude-sonnet-4-5", kind="hybrid")
    at = open_page("hybrid", hy_run=run.id)
    assert "3 · What changed" in texts(at.subheader)
    assert NO_CHANGES in texts(at.info)


# --- the sample study ----------------------------------------------------------------------


def test_generate_tries_the_sample_study_in_one_click(data_dir: Path) -> None:
    at = open_page("generate")
    [button] = [b for b in at.button if b.label == SAMPLE_BUTTON]
    ok(button.click().run())
    [report] = [d.value for d in at.dataframe if "File" in list(d.value.columns)]
    assert report["File"].tolist() == [name for name, _ in sample_files()]
    assert report["Status"].tolist() == ["✅ read"] * 3
    assert not [b for b in at.button if b.label == SAMPLE_BUTTON]
    [plan] = [i for i in texts(at.info) if i.startswith("**Plan:**")]
    assert "About " in plan and "a cautious guess" in plan
    [generate] = [b for b in at.button if b.label == "Generate personas"]
    assert not generate.disabled
    ok(generate.click().run())
    [summary] = Store(history_path(data_dir)).list()
    assert summary.study == SAMPLE_STUDY and summary.persona_count
    ok(at.switch_page("pages/compare.py").run())  # every page works on it, nothing uploaded
    shown = escape_markdown(SAMPLE_STUDY)
    assert any(shown in c and "3 of 3 files read" in c for c in texts(at.caption))


def test_home_opens_generate_with_the_sample_study(data_dir: Path) -> None:
    at = AppTest.from_file(
        str(ROOT / "persona" / "dashboard" / "app.py"), default_timeout=TIMEOUT_S
    )
    ok(at.run())
    [button] = [b for b in at.button if b.label == SAMPLE_BUTTON]
    ok(button.click().run())
    assert "What was read" in texts(at.subheader)
    assert at.session_state[CURRENT] == SAMPLE_STUDY  # the sample is the current study
    assert [f.name for f in api.study(SAMPLE_STUDY, store=Store(history_path(data_dir))).files] == [
        n for n, _ in sample_files()
    ]

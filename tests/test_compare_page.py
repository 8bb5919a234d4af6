"""Compare on the dashboard: one api call, run in the background (AppTest, fake Ollama)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.element_tree import Button

from persona import api
from persona.api.jobs import Worker
from persona.dashboard.ui.study import CURRENT
from persona.history.store import Store, history_path
from tests.fake_ollama import FakeOllama
from tests.test_study_pages import INTERVIEWS, no_exception, open_page

pytestmark = pytest.mark.usefixtures("empty_caches")

MODELS = ["llama3.2:3b", "mistral:7b"]


@pytest.fixture
def ollama(fake_ollama: FakeOllama, monkeypatch: pytest.MonkeyPatch) -> FakeOllama:
    monkeypatch.setenv("OLLAMA_HOST", fake_ollama.url)
    api.add_to_study("Commute", [(p.name, p.read_bytes()) for p in INTERVIEWS])
    return fake_ollama


def ready_page() -> AppTest:
    at = open_page("compare")
    at.session_state[CURRENT] = "Commute"
    no_exception(at.run())
    return no_exception(at.multiselect[0].set_value(MODELS).run())


def compare_button(at: AppTest) -> Button:
    [button] = [b for b in at.button if b.label == "Compare"]
    return button


def start_slowly(at: AppTest, fake: FakeOllama) -> Worker:
    """Press Compare while the models answer slowly: the page follows the comparison (its run
    times out); then the user goes to History."""
    fake.token_delay = 0.05
    with pytest.raises(RuntimeError, match="timed out"):
        compare_button(at).click().run(timeout=2)
    job = at.session_state["job_compare"]
    assert isinstance(job, Worker) and job.state == "running"
    no_exception(at.switch_page("pages/history.py").run())
    assert not job.done, "leaving the page does not end the comparison"
    return job


def runs(data_dir: Path) -> list[str]:
    return sorted(s.model for s in Store(history_path(data_dir)).list())


def test_the_pages_comparison_sends_what_the_settings_allow(
    ollama: FakeOllama, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PERSONA_PARALLEL", "3")
    at = ready_page()
    no_exception(compare_button(at).click().run())
    store = Store(history_path(data_dir))
    saved = [store.get(s.id) for s in store.list()]
    assert sorted(run.model for run in saved) == MODELS
    assert [run.options.parallel for run in saved] == [3, 3]  # the page once sent 1


def test_a_comparison_goes_on_across_pages_and_shows_its_result(
    ollama: FakeOllama, data_dir: Path
) -> None:
    at = ready_page()
    job = start_slowly(at, ollama)
    with pytest.raises(RuntimeError, match="timed out"):  # back: the page follows it again
        at.switch_page("pages/compare.py").run(timeout=1)
    no_exception(at.switch_page("pages/history.py").run())
    ollama.token_delay = 0.0
    no_exception(at.switch_page("pages/compare.py").run())

    assert job.state == "finished"
    assert runs(data_dir) == MODELS, "a rerun or a page change started another comparison"
    table = at.dataframe[-1].value
    assert list(table.columns) == MODELS
    assert "The personas next to each other" in [s.value for s in at.subheader]
    assert "job_compare" not in at.session_state and "cmp_job" not in at.session_state
    assert not at.multiselect[0].disabled, "the inputs are enabled once it ended"


def test_stop_keeps_the_runs_made_so_far(ollama: FakeOllama, data_dir: Path) -> None:
    at = ready_page()
    job = start_slowly(at, ollama)
    job.stop()  # what the Stop button does (on_click)
    assert job.wait(20)
    no_exception(at.switch_page("pages/compare.py").run())

    assert job.state == "stopped"
    assert any("The comparison was stopped" in str(i.value) for i in at.info)
    saved = Store(history_path(data_dir)).list()
    assert [s.model for s in saved] == [MODELS[0]], "the second model never started"
    assert saved[0].status == "interrupted"
    table = at.dataframe[-1].value
    assert list(table.columns) == [MODELS[0]]

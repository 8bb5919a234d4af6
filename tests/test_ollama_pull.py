"""Pulling an Ollama model on Hardware & models: in the background, surviving reruns and page
changes, with Stop, after the fit check (AppTest against the fake Ollama)."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from persona.api.jobs import Worker
from persona.types import Hardware
from tests.fake_ollama import FakeOllama
from tests.test_pages import assert_no_exception, open_page, values

pytestmark = pytest.mark.usefixtures("empty_caches")

PULLED = "llama3.2:1b"
TINY = Hardware(2 * 10**9, 10**9, "Test CPU", 2, 2)
"""A machine too small for the big tiers."""


@pytest.fixture
def slow_pull(fake_ollama: FakeOllama, monkeypatch: pytest.MonkeyPatch) -> FakeOllama:
    """Ollama is running; each line of a pull takes a while (the test shortens it later)."""
    monkeypatch.setenv("OLLAMA_HOST", fake_ollama.url)
    fake_ollama.pull_delay = 0.3
    return fake_ollama


def start_pull(at: AppTest, name: str) -> Worker:
    """Type ``name`` and press Pull; the page follows the download (the run times out), and
    the user goes to History meanwhile."""
    [field] = [t for t in at.text_input if t.label == "Model name"]
    field.set_value(name)
    with pytest.raises(RuntimeError, match="timed out"):  # the page is following the pull
        at.form_submit_button[0].click().run(timeout=2)
    job = at.session_state["job_pull"]
    assert isinstance(job, Worker) and job.state == "running"
    at.switch_page("pages/history.py").run()  # another page: the pull goes on
    assert_no_exception(at)
    assert not job.done
    return job


def pulls(fake: FakeOllama) -> list[str]:
    return [r.body["model"] for r in fake.log("/api/pull")]


def test_a_pull_goes_on_across_reruns_and_pages_then_reports_once(slow_pull: FakeOllama) -> None:
    at = open_page("models")
    job = start_pull(at, PULLED)
    with pytest.raises(RuntimeError, match="timed out"):  # back: the page follows the pull
        at.switch_page("pages/models.py").run(timeout=1)
    with pytest.raises(RuntimeError, match="timed out"):  # a rerun follows the same pull
        at.run(timeout=1)
    at.switch_page("pages/history.py").run()
    assert not job.done and PULLED not in slow_pull.model_names()
    slow_pull.pull_delay = 0.0
    at.switch_page("pages/models.py").run()
    assert_no_exception(at)

    assert job.done and job.state == "finished"
    assert pulls(slow_pull) == [PULLED], "a rerun or a page change started another download"
    assert f"{PULLED} is installed and ready." in values(at.success)
    assert PULLED in at.dataframe[0].value["Model"].tolist()
    assert "job_pull" not in at.session_state
    at.run()
    assert f"{PULLED} is installed and ready." not in values(at.success), "reported once"


def test_stop_ends_the_download_and_says_it_can_resume(slow_pull: FakeOllama) -> None:
    at = open_page("models")
    job = start_pull(at, PULLED)
    job.stop()  # what the Stop download button does (on_click)
    assert job.wait(10)
    at.switch_page("pages/models.py").run()
    assert_no_exception(at)

    assert job.state == "stopped"
    assert any(
        f"Download of {PULLED} stopped. Pull it again to resume" in i for i in values(at.info)
    )
    assert PULLED not in slow_pull.model_names() and pulls(slow_pull) == [PULLED]
    assert not [b for b in at.button if b.label == "Stop download"]
    assert not at.form_submit_button[0].disabled  # another pull can start


def test_a_failed_pull_says_why(slow_pull: FakeOllama) -> None:
    slow_pull.pull_delay = 0.0
    at = open_page("models")
    [field] = [t for t in at.text_input if t.label == "Model name"]
    field.set_value("nosuch:1b")
    at.form_submit_button[0].click().run()
    assert_no_exception(at)
    [error] = values(at.error)
    assert "no model called 'nosuch:1b'" in error and "ollama.com/library" in error
    assert "job_pull" not in at.session_state


def test_a_model_that_will_not_fit_is_pulled_only_after_asking(
    slow_pull: FakeOllama, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("persona.dashboard.ui.resources.detect_hardware", lambda: TINY)
    slow_pull.pull_delay = 0.0
    at = open_page("models")
    [field] = [t for t in at.text_input if t.label == "Model name"]
    field.set_value("mistral:7b")
    at.form_submit_button[0].click().run()
    assert_no_exception(at)
    assert any("mistral:7b will probably not fit this machine" in w for w in values(at.warning))
    assert pulls(slow_pull) == [], "nothing is downloaded before the answer"

    at.button(key="pull_cancel_ask").click().run()
    assert pulls(slow_pull) == []
    at.form_submit_button[0].click().run()
    at.button(key="pull_anyway").click().run()
    assert_no_exception(at)
    assert pulls(slow_pull) == ["mistral:7b"]
    assert "mistral:7b is installed and ready." in values(at.success)

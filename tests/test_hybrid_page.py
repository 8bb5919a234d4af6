"""The Hybrid page in Streamlit's AppTest: draft → consent preview → refine → diff → choose."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from persona import api
from persona.api.hybrid import frontier_spend
from persona.api.settings import load_settings, save_settings
from persona.dashboard.ui.hybrid_send import JOB as REFINE
from persona.dashboard.ui.resources import ENGINE_CHOICE
from persona.dashboard.ui.study import CURRENT
from persona.dashboard.ui.study_files import MISSING_FILES
from persona.history.store import Store, history_path
from tests.fake_anthropic import MESSAGES, FakeAnthropic, Recorded
from tests.fake_ollama import FakeOllama
from tests.test_pages import shown

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = sorted((ROOT / "samples" / "interviews").iterdir())
KEY = "sk-ant-page-test-0000"
STUDY = "Grocery interviews"
TIMEOUT_S = 30


HELD_S = 2
"""How long a page run follows a held refinement before the test moves on (AppTest stops it)."""
SEND_S = 8
"""The same for the run that handles the Send click: it must get to starting the job first."""


class HeldAnthropic(FakeAnthropic):
    """The fake Messages API, able to hold each Messages request until released: a
    refinement that is still running while the user reruns, changes page or presses Stop."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.arrived = threading.Event()
        self.released = threading.Event()
        self.released.set()

    def hold(self) -> None:
        self.released.clear()

    def release(self) -> None:
        self.released.set()

    def answer(self, entry: Recorded, action):
        if entry.method == "POST" and entry.path == MESSAGES:
            self.arrived.set()
            self.released.wait(TIMEOUT_S)
        return super().answer(entry, action)


@pytest.fixture
def claude() -> Iterator[HeldAnthropic]:
    with HeldAnthropic(api_keys={KEY}) as server:
        yield server
        server.release()


@pytest.fixture(autouse=True)
def environment(
    monkeypatch, data_dir: Path, fake_ollama: FakeOllama, claude: FakeAnthropic
) -> Path:
    monkeypatch.setenv("OLLAMA_HOST", fake_ollama.url)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", claude.url)
    st.cache_data.clear()
    st.cache_resource.clear()
    return data_dir


def ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.message for e in at.exception]
    return at


def button(at: AppTest, prefix: str):
    [found] = [b for b in at.button if b.label.startswith(prefix)]
    return found


def texts(elements) -> str:
    return "\n".join(str(e.value) for e in elements)


def open_hybrid(**session) -> AppTest:
    """The app opened (with ``session`` in its session state), on the Hybrid page."""
    at = AppTest.from_file(
        str(ROOT / "persona" / "dashboard" / "app.py"), default_timeout=TIMEOUT_S
    )
    for name, value in session.items():
        at.session_state[name] = value
    ok(at.run())
    ok(at.switch_page("pages/hybrid.py").run())
    return at


def drafted(at: AppTest, *, key: str | None = KEY) -> AppTest:
    """Drafts made on the current study, whose files were uploaded once (on another page)."""
    api.add_to_study(STUDY, [(p.name, p.read_bytes()) for p in SAMPLES])
    at.session_state[CURRENT] = STUDY
    ok(at.run())
    if key:
        ok(at.text_input(key="hy_key").input(key).run())
    at.checkbox(key="hy_all").check()
    ok(button(at, "Draft personas locally").click().run())
    return at


def consent(at: AppTest):
    return next(c for c in at.checkbox if c.label.startswith("I agree to send"))


def test_nothing_is_sent_before_consent(claude):
    at = drafted(open_hybrid())
    assert "2 · Review what would be sent" in texts(at.subheader)
    preview = texts(at.code)
    assert "[PERSON_" in preview and '"passages":[' in preview
    assert "never type a quote" in texts(at.caption)
    for secret in ("Maria Gonzalez", "Tom Becker", "Priya Nair", "maria_gonzalez"):
        assert secret.casefold() not in preview.casefold()
    marked = texts(at.markdown)
    assert ":orange-background[\\[PERSON\\_1\\]]" in marked  # highlighted, escaped
    assert "Replaced in what is sent:" in texts(at.caption)
    send = button(at, "Send")
    assert send.disabled  # consent not given yet
    assert claude.count(None) == 0  # not even the model list


def test_opening_the_page_with_a_key_sends_nothing(claude, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    at = open_hybrid()
    assert "configured" in texts(at.caption) and "Built-in model list" in texts(at.caption)
    ok(at.run())
    assert claude.count(None) == 0
    ok(button(at, "Load models from Anthropic").click().run())
    assert [r.path for r in claude.requests(None)] == ["/v1/models"]
    assert "claude-opus-4-6" in at.selectbox(key="hy_frontier").options


@pytest.mark.parametrize("change", ["model", "budget", "refine all"])
def test_any_change_clears_the_consent_and_says_why(claude, change):
    at = drafted(open_hybrid())
    # The fake's drafts score 52 to 60 (claims backed by their quotes): one passes at 55.
    ok(at.slider(key="hy_threshold").set_value(55).run())
    ok(at.checkbox(key="hy_all").uncheck().run())
    ok(consent(at).check().run())
    assert not button(at, "Send").disabled
    if change == "model":
        ok(at.selectbox(key="hy_frontier").set_value("claude-haiku-4-5").run())
        reason = "the model changed"
    elif change == "budget":
        ok(at.number_input(key="hy_budget").set_value(3.0).run())
        reason = "the budget cap changed"
    else:
        ok(at.checkbox(key="hy_all").check().run())
        reason = "would now be sent"
    assert reason in texts(at.warning).replace("\\", "")
    assert not consent(at).value and button(at, "Send").disabled
    assert claude.count(None) == 0


def test_send_is_disabled_with_the_reason_while_the_estimate_exceeds_the_cap(claude):
    at = drafted(open_hybrid())
    ok(at.number_input(key="hy_budget").set_value(0.0).run())
    ok(consent(at).check().run())
    reason = texts(at.warning).replace("\\", "")
    assert "above your budget cap ($0.00)" in reason
    send = button(at, "Send")
    assert send.disabled and "above your budget cap" in str(send.help)
    ok(at.number_input(key="hy_budget").set_value(5.0).run())
    ok(consent(at).check().run())
    assert not button(at, "Send").disabled
    assert claude.count(None) == 0


def test_a_second_send_adds_to_the_spend_shown(claude, environment, monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    at = drafted(open_hybrid(), key=None)
    ok(consent(at).check().run())
    ok(button(at, "Send").click().run())
    first = Store(history_path(environment)).list()[0]
    spent = Store(history_path(environment)).get(first.id).usage.frontier["cost_usd"]
    ok(at.run())  # the consent was per Send: a new, unticked box
    assert not consent(at).value and button(at, "Send").disabled
    ok(consent(at).check().run())
    ok(button(at, "Send").click().run())
    total = Store(history_path(environment)).get(first.id).usage.frontier
    assert total["sends"] == 2 and total["cost_usd"] > spent
    captions = shown(texts(at.caption))
    assert f"${total['cost_usd']:.4f}" in captions and "over 2 sends" in captions
    ok(at.switch_page("pages/history.py").run())
    history = shown(texts(at.caption))
    assert f"Claude: Spent ${total['cost_usd']:.4f}" in history and "over 2 sends" in history


def test_drafts_whose_files_left_the_study_are_not_sent(claude):
    at = drafted(open_hybrid())
    assert [b for b in at.button if b.label.startswith("Send")]
    api.remove_from_study(STUDY, [SAMPLES[1].name])
    ok(at.run())
    assert MISSING_FILES in texts(at.warning)
    assert not [b for b in at.button if b.label.startswith("Send")]
    assert claude.count(None) == 0


def test_consent_send_diff_and_choose(claude, environment):
    at = drafted(open_hybrid())
    ok(consent(at).check().run())
    ok(button(at, "Send").click().run())
    assert claude.count("/v1/messages") >= 1
    for request in claude.requests("/v1/messages"):
        raw = request.raw.decode() if isinstance(request.raw, bytes) else str(request.raw)
        assert "Maria Gonzalez" not in raw and "Priya Nair" not in raw and KEY not in raw
    assert "3 · What changed" in texts(at.subheader)
    html = "\n".join(str(m.value) for m in at.markdown)
    assert "<ins" in html and "They judge every new tool" in html
    labels = [t.label for t in at.tabs]
    assert labels[labels.index("Track changes") :][:3] == [
        "Track changes",
        "Field table",
        "Side by side",
    ]
    run = Store(history_path(environment)).list()[0]
    saved = Store(history_path(environment)).get(run.id)
    assert saved.kind == "hybrid" and any(r.refined for r in saved.records)
    assert KEY not in history_path(environment).read_bytes().decode("utf-8", "ignore")
    ok(at.radio(key="hy_pick_0").set_value("Draft").run())
    ok(at.button(key="hy_save_0").click().run())
    chosen = Store(history_path(environment)).get(run.id).records[0]
    assert chosen.current == chosen.draft


def test_without_a_key_sending_is_disabled(claude):
    at = drafted(open_hybrid(), key=None)
    assert any("Enter an Anthropic API key" in str(w.value) for w in at.warning)
    assert button(at, "Send").disabled


def test_wrong_key_keeps_drafts(claude, environment):
    at = drafted(open_hybrid(), key="sk-ant-wrong-key")
    ok(consent(at).check().run())
    ok(button(at, "Send").click().run())
    warnings = texts(at.warning)
    assert "rejected" in warnings.lower() or "api key" in warnings.lower()
    assert "sk-ant-wrong-key" not in warnings
    run = Store(history_path(environment)).list()[0]
    saved = Store(history_path(environment)).get(run.id)
    assert saved.records and all(r.refined is None for r in saved.records)


def test_with_a_remote_engine_the_consent_says_the_study_already_went_there(
    claude, monkeypatch, fake_ollama: FakeOllama
):
    remote = "http://10.0.0.5:11434"
    monkeypatch.setenv("OLLAMA_HOST", remote)
    with fake_ollama.answering_at(remote):
        at = drafted(open_hybrid())
    assert "Drafts are made **on 10.0.0.5:11434**" in shown(texts(at.info))
    went = "Your study already went to the engine on 10.0.0.5:11434 to make the drafts."
    assert went in [shown(c.value) for c in at.caption]
    assert consent(at) and claude.count(None) == 0


def test_with_a_local_engine_the_consent_says_nothing_of_another_machine(claude):
    at = drafted(open_hybrid())
    assert "Drafts are made **on this machine**" in shown(texts(at.info))
    assert consent(at) and "already went" not in texts(at.caption)


def test_before_send_the_page_says_how_the_cache_is_used_and_if_hybrid_costs_more(claude):
    at = drafted(open_hybrid())
    captions = shown(texts(at.caption))
    assert "drafts go in one request" in captions  # batched: cheaper than a cache here
    assert "Claude answers only what it changes" in captions
    estimate = float(at.metric[0].value.lstrip("$"))
    frontier_only = float(re.search(r"would cost about \$(\d+\.\d+)", captions).group(1))
    warned = "expected to cost more than sending all your data" in texts(at.warning)
    assert warned == (estimate > frontier_only)
    assert claude.count(None) == 0


def following_a_held_refinement(at: AppTest, timeout: float = HELD_S) -> None:
    """Run the page while the refinement waits on Claude: the page follows it until AppTest
    gives up on the run (the job goes on in the background)."""
    with pytest.raises(RuntimeError, match="timed out"):
        at.run(timeout=timeout)


def test_the_refinement_runs_in_the_background_across_reruns_and_pages(claude, environment):
    at = drafted(open_hybrid())
    ok(consent(at).check().run())
    claude.hold()
    button(at, "Send").click()
    following_a_held_refinement(at, SEND_S)  # the click starts the job; the page follows it
    assert claude.arrived.wait(TIMEOUT_S)
    job = at.session_state[f"job_{REFINE}"]
    assert job.state == "running"
    following_a_held_refinement(at)  # a rerun picks the same job up, never a second one
    ok(at.switch_page("pages/history.py").run())
    at.switch_page("pages/hybrid.py")
    following_a_held_refinement(at)  # back on the page: still running, still followed
    assert job.state == "running" and claude.count(MESSAGES) == 1
    claude.release()
    ok(at.run())
    assert job.state == "finished" and claude.count(MESSAGES) == 1
    assert "3 · What changed" in texts(at.subheader)
    [summary] = Store(history_path(environment)).list()
    saved = Store(history_path(environment)).get(summary.id)
    assert all(r.refined is not None for r in saved.records)
    refined = len(saved.records)
    assert f"{refined} of {refined} personas refined" in shown(texts(at.success))
    assert not button(at, "Draft personas locally").disabled  # the inputs are back
    assert not consent(at).value  # consent was for that Send


def test_stop_keeps_what_was_refined_and_reports_what_was_spent(claude, environment):
    at = drafted(open_hybrid())
    ok(consent(at).check().run())
    claude.hold()
    button(at, "Send").click()
    following_a_held_refinement(at, SEND_S)
    assert claude.arrived.wait(TIMEOUT_S)
    job = at.session_state[f"job_{REFINE}"]
    job.stop()  # what the Stop button does (persona.dashboard.ui.jobs.follow_job)
    claude.release()  # the request in flight is answered, and paid for
    ok(at.run())
    assert job.state == "stopped"
    [summary] = Store(history_path(environment)).list()
    saved = Store(history_path(environment)).get(summary.id)
    spend = frontier_spend(saved)
    assert spend is not None and spend.interrupted and spend.cost_usd > 0
    assert spend.cost_usd <= 1.0  # the page's default budget cap
    assert saved.status == "interrupted"
    assert f"${spend.cost_usd:.4f} was spent" in str(saved.message)
    kept = [r for r in saved.records if r.refined is not None]
    stopped = [r for r in saved.records if r.refine_error]
    assert kept and stopped and len(kept) + len(stopped) == len(saved.records)
    assert all("stopped before this persona was finished" in r.refine_error for r in stopped)
    warnings = shown(texts(at.warning))
    assert f"${spend.cost_usd:.4f} was spent" in warnings
    assert "stopped before this persona was finished" in warnings
    assert f"Spent ${spend.cost_usd:.4f}" in shown(texts(at.caption))
    assert claude.count(MESSAGES) == 1  # nothing was sent after Stop


def test_drafts_use_the_engine_settings_of_this_session(monkeypatch, fake_ollama, environment):
    """The saved settings choose another engine (a server that is not there); this session
    chose Ollama (as the demo offer does). The drafts are made with the session's engine and
    its settings, never with what persona.api would read from the saved settings alone."""
    save_settings({"engine": "openai", "base_url": "http://127.0.0.1:9/v1"})
    saved_alone = replace(load_settings(), parallel=7)
    monkeypatch.setattr("persona.api.runs.load_settings", lambda *a, **k: saved_alone)
    at = drafted(open_hybrid(**{ENGINE_CHOICE: "ollama"}))
    [summary] = Store(history_path(environment)).list()
    run = Store(history_path(environment)).get(summary.id)
    assert run.records and run.engine.startswith("Ollama")
    assert run.options.parallel == 1  # Ollama's own default: the session has no setting
    assert fake_ollama.log("/api/chat")
    assert "2 · Review what would be sent" in texts(at.subheader)  # the drafts go on to review

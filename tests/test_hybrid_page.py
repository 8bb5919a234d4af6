"""The Hybrid page in Streamlit's AppTest: draft → consent preview → refine → diff → choose."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from persona.history.store import Store, history_path
from tests.fake_anthropic import FakeAnthropic
from tests.fake_ollama import FakeOllama

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = sorted((ROOT / "samples" / "interviews").iterdir())
KEY = "sk-ant-page-test-0000"
TIMEOUT_S = 30


@pytest.fixture
def claude() -> Iterator[FakeAnthropic]:
    with FakeAnthropic(api_keys={KEY}) as server:
        yield server


@pytest.fixture(autouse=True)
def environment(monkeypatch, tmp_path, fake_ollama: FakeOllama, claude: FakeAnthropic) -> Path:
    data = tmp_path / "data"
    monkeypatch.setenv("PERSONA_DATA_DIR", str(data))
    monkeypatch.setenv("OLLAMA_HOST", fake_ollama.url)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", claude.url)
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    st.cache_data.clear()
    st.cache_resource.clear()
    return data


def ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.message for e in at.exception]
    return at


def button(at: AppTest, prefix: str):
    [found] = [b for b in at.button if b.label.startswith(prefix)]
    return found


def texts(elements) -> str:
    return "\n".join(str(e.value) for e in elements)


def open_hybrid() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT_S)
    ok(at.run())
    ok(at.switch_page("pages/hybrid.py").run())
    return at


def drafted(at: AppTest, *, key: str | None = KEY) -> AppTest:
    at.file_uploader[0].set_value([(p.name, p.read_bytes(), "text/plain") for p in SAMPLES])
    ok(at.run())
    if key:
        ok(at.text_input(key="hy_key").input(key).run())
    at.checkbox(key="hy_all").check()
    ok(button(at, "Draft personas locally").click().run())
    return at


def test_nothing_is_sent_before_consent(claude):
    at = drafted(open_hybrid())
    assert "2 · Review what would be sent" in texts(at.subheader)
    preview = texts(at.code)
    assert "[PERSON_" in preview
    for secret in ("Maria Gonzalez", "Tom Becker", "Priya Nair"):
        assert secret not in preview
    send = button(at, "Send")
    assert send.disabled  # consent not given yet
    assert claude.count("/v1/messages") == 0
    assert claude.count("/v1/messages/count_tokens") == 0


def test_consent_send_diff_and_choose(claude, environment):
    at = drafted(open_hybrid())
    consent = next(c for c in at.checkbox if c.label.startswith("I agree to send"))
    ok(consent.check().run())
    ok(button(at, "Send").click().run())
    assert claude.count("/v1/messages") >= 1
    for request in claude.requests("/v1/messages"):
        raw = request.raw.decode() if isinstance(request.raw, bytes) else str(request.raw)
        assert "Maria Gonzalez" not in raw and "Priya Nair" not in raw and KEY not in raw
    assert "3 · What changed" in texts(at.subheader)
    html = "\n".join(str(m.value) for m in at.markdown)
    assert "<ins" in html and "They judge every new tool" in html
    assert [t.label for t in at.tabs][:3] == ["Track changes", "Field table", "Side by side"]
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
    consent = next(c for c in at.checkbox if c.label.startswith("I agree to send"))
    ok(consent.check().run())
    ok(button(at, "Send").click().run())
    warnings = texts(at.warning)
    assert "rejected" in warnings.lower() or "api key" in warnings.lower()
    assert "sk-ant-wrong-key" not in warnings
    run = Store(history_path(environment)).list()[0]
    saved = Store(history_path(environment)).get(run.id)
    assert saved.records and all(r.refined is None for r in saved.records)

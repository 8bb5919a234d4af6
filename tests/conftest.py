"""Shared pytest fixtures, and the isolation every test gets from the developer's machine."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hypothesis.configuration import set_hypothesis_home_dir

from tests.fake_ollama import FakeOllama

# Hypothesis keeps its examples and caches in .hypothesis/ of the working folder: a test run
# never writes into the repository, so they go to a folder of this run's own.
set_hypothesis_home_dir(tempfile.mkdtemp(prefix="persona-hypothesis-"))

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page

UNREACHABLE = "http://127.0.0.1:9"
"""An address where nothing listens (the discard port), so no test reaches a real server."""

_ISOLATED_PREFIXES = ("PERSONA_", "OLLAMA_", "ANTHROPIC_", "OPENAI_")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--screenshots",
        metavar="DIR",
        default=None,
        help="where the tests that take the README's screenshots save them "
        "(docs/make_screenshots.py passes docs/; by default a temporary folder, so a test run "
        "never changes the repository)",
    )


@pytest.fixture
def screenshots(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """The folder a screenshot test saves into: ``--screenshots DIR`` or this test's tmp_path."""
    chosen = request.config.getoption("--screenshots")
    folder = Path(chosen).resolve() if chosen else tmp_path / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every test runs away from the user's data, servers and keys.

    Persona's, Ollama's, Anthropic's and OpenAI's variables are cleared; History, settings
    and models live in a fresh data folder; the default Ollama address answers nothing.
    Tests that need a server or a key set it themselves.
    """
    for name in list(os.environ):
        if name.startswith(_ISOLATED_PREFIXES):
            monkeypatch.delenv(name)
    data = tmp_path_factory.mktemp("persona-data")
    monkeypatch.setenv("PERSONA_DATA_DIR", str(data))
    monkeypatch.setenv("XDG_DATA_HOME", str(data.parent / "xdg-data"))
    monkeypatch.setenv("OLLAMA_HOST", UNREACHABLE)
    return data


@pytest.fixture
def data_dir(isolated: Path) -> Path:
    """This test's Persona data folder (History, settings, logs), as :func:`isolated` set it."""
    return isolated


@pytest.fixture
def without_builtin(monkeypatch: pytest.MonkeyPatch) -> None:
    """As on a machine where llama-cpp-python could not be built: neither it nor the demo
    model's package can be imported (a module whose ``sys.modules`` entry is None is, to
    Python's import system and to ``importlib.util.find_spec``, not installed)."""
    from persona.engines.builtin_install import PACKAGES

    for name in [*PACKAGES, *sys.modules]:
        if name.split(".")[0] in PACKAGES:
            monkeypatch.setitem(sys.modules, name, None)


@pytest.fixture
def fake_ollama() -> Iterator[FakeOllama]:
    """A running fake Ollama server (default models, schema brain, no delays)."""
    with FakeOllama() as server:
        yield server


@pytest.fixture
def fake_ollama_url(fake_ollama: FakeOllama) -> str:
    """Base URL of the running fake Ollama server."""
    return fake_ollama.url


@pytest.fixture(scope="module")
def browser() -> Iterator[BrowserContext]:
    """The system's Chromium, one profile per test module (never a downloaded browser)."""
    from tests.browser import CHROMIUM, chromium_context

    assert CHROMIUM.exists(), (
        f"the browser tests need Chromium at {CHROMIUM} (apt-get install chromium)"
    )
    with chromium_context() as context:
        yield context


@pytest.fixture
def tab() -> Iterator[list[Page]]:
    """Pages a test opens, closed after it (those it did not close itself)."""
    pages: list[Page] = []
    yield pages
    for page in pages:
        if not page.is_closed():
            page.close()


@pytest.fixture
def empty_caches() -> Iterator[None]:
    """Streamlit's caches start and end empty (the dashboard's tests use it:
    ``pytestmark = pytest.mark.usefixtures("empty_caches")``)."""
    from tests.dashboard import clear_caches

    clear_caches()
    yield
    clear_caches()

"""Helpers for the real-browser tests: the fake Ollama and the dashboard as subprocesses,
and a headless Debian Chromium driven by Playwright.

Nothing here downloads a browser: Chromium comes from the system (``/usr/bin/chromium``).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import requests

from persona.cli.ui import streamlit_command

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Page

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = Path(os.environ.get("PERSONA_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]
START_TIMEOUT_S = 60.0
PERSONA = Path(sys.executable).with_name("persona")
"""The ``persona`` command of the Python running the tests (its environment's script)."""


def free_port() -> int:
    """A TCP port nothing listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def closed_url() -> str:
    """The URL of a local port with nothing listening: Ollama "not running"."""
    return f"http://127.0.0.1:{free_port()}"


@dataclass
class Service:
    """A subprocess serving HTTP on 127.0.0.1; keeps the tail of its output for failures."""

    name: str
    process: subprocess.Popen[str]
    url: str = ""
    output: deque[str] = field(default_factory=lambda: deque(maxlen=200))
    _reader: threading.Thread | None = None

    def follow(self, stream: IO[str]) -> None:
        """Keep reading ``stream`` in the background so the pipe never fills up."""

        def pump() -> None:
            for line in stream:
                self.output.append(line.rstrip("\n"))

        self._reader = threading.Thread(target=pump, name=f"{self.name}-output", daemon=True)
        self._reader.start()

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(list(self.output)[-lines:])

    def stop(self) -> None:
        """Ask the process to stop (SIGTERM), then kill it if it lingers."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        if self._reader is not None:
            self._reader.join(timeout=2)


def _child_env(extra: Mapping[str, str]) -> dict[str, str]:
    env = dict(os.environ)
    env.update(extra)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))
    env["PYTHONUNBUFFERED"] = "1"
    return env


def start_ready(name: str, module: str, *args: str) -> Service:
    """``python -m <module> --port 0 ARGS`` as a process; returns once it printed READY."""
    command = [sys.executable, "-m", module, "--port", "0", *args]
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=_child_env({}),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    service = Service(name, process)
    assert process.stdout is not None
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        service.output.append(line.rstrip("\n"))
        match = re.match(r"READY (\S+)", line)
        if match:
            service.url = match.group(1)
            service.follow(process.stdout)
            return service
    service.stop()
    raise RuntimeError(f"{name} did not start:\n{service.log_tail()}")


def start_fake_ollama(
    *, pull_delay: float = 0.05, models: list[str] | None = None, token_delay: float = 0.0
) -> Service:
    """The fake Ollama (``tests.fake_ollama``) as a process."""
    args = ["--pull-delay", str(pull_delay), "--token-delay", str(token_delay)]
    if models is not None:
        args += ["--models", ",".join(models)]
    return start_ready("fake-ollama", "tests.fake_ollama", *args)


def start_fake_anthropic(api_key: str) -> Service:
    """The fake Messages API (``tests.fake_anthropic``) as a process, accepting ``api_key``."""
    return start_ready("fake-anthropic", "tests.fake_anthropic", "--api-key", api_key)


def start_streamlit(
    *,
    ollama_host: str,
    data_dir: Path,
    extra_env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    via_cli: bool = False,
    app: Path | None = None,
) -> Service:
    """The dashboard on a free port as ``persona ui`` starts it: the same ``streamlit run``
    command (the installed app, Persona's server settings as flags), from ``cwd`` (by default
    the data folder: not the checkout), with Persona's environment; waits for its health
    check. ``via_cli``: through the ``persona ui`` command itself, whose process then stands
    in front of Streamlit's (it costs the CLI's start-up: only tests/test_cli_ui.py needs it).
    ``app``: another script served the same way (bench/page_switch.py's empty baseline).
    Streamlit watches no files (a test changes none)."""
    port = free_port()
    command = [str(PERSONA), "ui", "--port", str(port)] if via_cli else streamlit_command(port, app)
    data_dir.mkdir(parents=True, exist_ok=True)
    env = _child_env(
        {
            "OLLAMA_HOST": ollama_host,
            "PERSONA_DATA_DIR": str(data_dir),
            "STREAMLIT_SERVER_FILE_WATCHER_TYPE": "none",
            **(extra_env or {}),
        }
    )
    process = subprocess.Popen(
        command,
        cwd=cwd or data_dir,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    service = Service("dashboard", process, url=f"http://127.0.0.1:{port}")
    service.follow(process.stdout)
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        with contextlib.suppress(requests.RequestException):
            if requests.get(f"{service.url}/_stcore/health", timeout=1).text == "ok":
                return service
        time.sleep(0.2)
    service.stop()
    raise RuntimeError(f"the dashboard did not start:\n{service.log_tail()}")


@contextlib.contextmanager
def chromium_context(**options: Any) -> Iterator[BrowserContext]:
    """A headless Chromium with a fresh, throw-away profile (a Playwright BrowserContext)."""
    from playwright.sync_api import sync_playwright

    with (
        tempfile.TemporaryDirectory(prefix="persona-chromium-") as profile,
        sync_playwright() as playwright,
    ):
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            accept_downloads=True,
            viewport={"width": 1400, "height": 1000},
            **options,
        )
        context.set_default_timeout(20_000)
        try:
            yield context
        finally:
            context.close()


def fake_log(fake_url: str, path: str | None = None) -> list[dict[str, Any]]:
    """Requests the fake Ollama (a subprocess) received, optionally only those to ``path``."""
    entries = requests.get(f"{fake_url}/_fake/log", timeout=5).json()["requests"]
    return [e for e in entries if path is None or e["path"] == path]


def installed_models(ollama_url: str) -> list[str]:
    """Model names ``/api/tags`` lists."""
    models = requests.get(f"{ollama_url}/api/tags", timeout=5).json()["models"]
    return [m["name"] for m in models]


# --- page helpers ------------------------------------------------------------------------------

IDLE = (
    "[data-testid='stApp'][data-test-connection-state='CONNECTED']"
    "[data-test-script-state='notRunning']"
)


def wait_idle(page: Page, timeout_ms: float = 20_000) -> None:
    """Wait until the app is connected and its script is not running."""
    page.wait_for_selector(IDLE, timeout=timeout_ms)


def open_app(context: BrowserContext, base_url: str, path: str = "/", *, ready_text: str) -> Page:
    """A new tab (a new Streamlit session) on ``path``, once ``ready_text`` shows and the
    script has finished."""
    page = context.new_page()
    page.goto(base_url + path)
    page.wait_for_selector("[data-testid='stApp']")
    page.get_by_text(ready_text, exact=False).first.wait_for()
    wait_idle(page)
    return page


def go(page: Page, link: str, ready_text: str) -> None:
    """Click a top navigation link and wait for the page to finish running. ``ready_text``
    must be the new page's own: a link's name is on every page."""
    page.get_by_test_id("stTopNavLink").filter(has_text=link).click()
    page.get_by_text(ready_text).first.wait_for()
    wait_idle(page)


@contextlib.contextmanager
def dashboard_on_fake_ollama(data_dir: Path, **fake: Any) -> Iterator[str]:
    """`persona ui` against a fake Ollama (``fake``: its options), both stopped afterwards;
    yields the dashboard's URL."""
    ollama = start_fake_ollama(**fake)
    try:
        app = start_streamlit(ollama_host=ollama.url, data_dir=data_dir)
        try:
            yield app.url
        finally:
            app.stop()
    finally:
        ollama.stop()


@contextlib.contextmanager
def warm_browser(base_url: str) -> Iterator[BrowserContext]:
    """A Chromium profile that has opened the dashboard once (see :func:`warm_up`)."""
    with chromium_context() as context:
        warm_up(context, base_url)
        yield context


def warm_up(context: BrowserContext, base_url: str, ready_text: str = "How it works") -> None:
    """The first session after `persona ui` starts must open "/": a deep link as the very
    first request shows "Page not found" (a `pages/` folder sits next to app.py)."""
    page = open_app(context, base_url, "/", ready_text=ready_text)
    page.close()


def full_page_screenshot(page: Page, path: Path) -> None:
    """Streamlit scrolls inside its own container, so Playwright's ``full_page`` alone stops
    at the viewport: grow the viewport to the content's height for the shot."""
    size = page.viewport_size
    assert size is not None
    height = page.evaluate(
        """() => Math.max(document.documentElement.scrollHeight,
             ...["stMain", "stAppViewContainer"].map(
                 id => document.querySelector(`[data-testid='${id}']`)?.scrollHeight || 0))"""
    )
    page.set_viewport_size({"width": size["width"], "height": int(height) + 40})
    page.wait_for_timeout(800)  # charts and grids re-lay themselves out
    wait_idle(page)
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size(size)
    # Resizing fires debounced layout handlers; a popover opened meanwhile closes at once.
    page.wait_for_timeout(1000)


RECORD_PROGRESS = """() => {
  window.__progress = [];
  const record = () => {
    for (const bar of document.querySelectorAll("[data-testid='stProgress']")) {
      const text = bar.innerText.trim();
      if (text && window.__progress[window.__progress.length - 1] !== text) {
        window.__progress.push(text);
      }
    }
  };
  new MutationObserver(record).observe(
    document.body, {subtree: true, childList: true, characterData: true, attributes: true});
}"""
"""Install in a page before a pull: every distinct progress-bar text lands in
``window.__progress``, however fast the bar moves."""

# --- showcase data -----------------------------------------------------------------------------
# Personas drawn from samples/ with verbatim quotes, queued as the fake model's answer so the
# README screenshot shows realistic cards (the fake's own answers are deterministic filler).

_MARIA, _TOM, _PRIYA = "01_maria_gonzalez.md", "02_tom_becker.txt", "03_priya_nair.md"
_SURVEY = "survey_excel_export.csv"

Quote = tuple[str, str, str]
"""(verbatim quote, file, locator)"""


def _persona(
    name: str,
    age: str,
    role: str,
    bio: str,
    quote: Quote,
    participants: list[str],
    **sections: list[tuple[str, list[Quote]]],
) -> dict[str, Any]:
    def evidence(item: Quote) -> dict[str, str]:
        return {"quote": item[0], "source": item[1], "locator": item[2]}

    persona: dict[str, Any] = {
        "name": name,
        "age": age,
        "role": role,
        "bio": bio,
        "quote": evidence(quote),
        "participants": participants,
    }
    for section, claims in sections.items():
        persona[section] = [
            {"text": text, "evidence": [evidence(q) for q in quotes]} for text, quotes in claims
        ]
    return persona


SHOWCASE_PERSONAS: dict[str, Any] = {
    "personas": [
        _persona(
            "Dana Whitfield",
            "30-40",
            "Night-shift nurse and parent of two",
            "Dana works nights on a hospital ward and orders from her phone during short breaks. "
            "Time, not money, is what she lacks: a late or wrong delivery costs her sleep.",
            ('What I really want is to press one button and get "the usual".', _MARIA, "line 17"),
            ["Maria Gonzalez", "R001"],
            goals=[
                (
                    "Reorder the usual weekly basket in a couple of minutes.",
                    [("I rebuild the same basket every single week.", _MARIA, "line 17")],
                ),
                (
                    "Get deliveries right after a night shift, before going to sleep.",
                    [
                        (
                            "I need the delivery between eight and ten in the morning",
                            _MARIA,
                            "line 25",
                        )
                    ],
                ),
            ],
            pain_points=[
                (
                    "Delivery slots are not reliable.",
                    [
                        (
                            "the driver came four hours late and the frozen stuff had thawed",
                            _MARIA,
                            "line 27",
                        )
                    ],
                ),
                (
                    "Substitutions ignore allergies and diets.",
                    [
                        ("My son has a nut allergy", _MARIA, "line 35"),
                        (
                            "They replaced my daughter’s gluten-free bread with normal bread",
                            _SURVEY,
                            "row 2",
                        ),
                    ],
                ),
            ],
            behaviours=[
                (
                    "Orders on her phone during a ten-minute break at night.",
                    [("On my break, around three in the morning, on my phone", _MARIA, "line 15")],
                ),
            ],
            motivations=[
                (
                    "Will pay more for a guaranteed slot.",
                    [
                        (
                            "I'd happily pay a little extra for a guaranteed morning slot.",
                            _MARIA,
                            "line 41",
                        )
                    ],
                ),
            ],
        ),
        _persona(
            "Walter Brandt",
            "65-75",
            "Retired teacher, new to online groceries",
            "Walter began ordering online after a knee operation. He manages simple orders "
            "alone, waits for family help with anything new, and wants a person to call when "
            "things go wrong.",
            ("A phone line, even if I have to wait, would make me much calmer.", _TOM, "line 20"),
            ["Tom Becker", "R003"],
            goals=[
                (
                    "Order on his own without waiting for family.",
                    [("For anything new I wait until Anna visits on Sunday.", _TOM, "line 14")],
                ),
                (
                    "Check the whole order in plain words before paying.",
                    [
                        (
                            "check everything before I pay, in plain words, not little icons",
                            _TOM,
                            "line 41",
                        )
                    ],
                ),
            ],
            pain_points=[
                (
                    "Small text and look-alike buttons lead to wrong orders.",
                    [
                        ("The writing is very small.", _TOM, "line 9"),
                        (
                            "The text is too small and the buttons are close together.",
                            _SURVEY,
                            "row 4",
                        ),
                    ],
                ),
                (
                    "There is no human to talk to when something goes wrong.",
                    [("There's only a chat, and the chat is a robot.", _TOM, "line 19")],
                ),
            ],
            behaviours=[
                (
                    "Sticks to a fixed routine for delivery days.",
                    [("I always take Thursday morning.", _TOM, "line 37")],
                ),
            ],
            motivations=[
                (
                    "Feeling safe when paying.",
                    [("Nervous. You read so much about fraud.", _TOM, "line 16")],
                ),
            ],
        ),
        _persona(
            "Sofia Lindgren",
            "20-30",
            "Graduate student sharing a flat",
            "Sofia plans every week's food to a fixed budget and shares one big order with her "
            "flatmates. She compares unit prices, and small-order fees almost made her quit.",
            ("Splitting the delivery fee automatically would be amazing.", _PRIYA, "line 21"),
            ["Priya Nair", "R002"],
            goals=[
                (
                    "Split shared orders fairly without a spreadsheet.",
                    [("everyone adds their own items and pays their own part", _PRIYA, "line 21")],
                ),
                (
                    "Find the genuinely cheaper option.",
                    [("I check the price per kilo, not the pack price", _PRIYA, "line 25")],
                ),
            ],
            pain_points=[
                (
                    "Delivery fees punish small orders.",
                    [
                        (
                            "If the order is under forty euros the fee is almost six euros.",
                            _PRIYA,
                            "line 37",
                        ),
                        ("The delivery fee is €5.99 for small orders", _SURVEY, "row 3"),
                    ],
                ),
                (
                    "The phone app hides unit prices.",
                    [("Basket hides the unit price on the phone app", _PRIYA, "line 27")],
                ),
            ],
            behaviours=[
                (
                    "Compares prices on every shop.",
                    [("I compare prices a lot.", _PRIYA, "line 25")],
                ),
            ],
            motivations=[
                (
                    "Keeping to a tight budget.",
                    [("I plan every week's food budget to the euro.", _PRIYA, "line 11")],
                ),
            ],
        ),
    ]
}
"""Three personas whose every quote is in samples/ (so all are "found in your data")."""


def showcase_reply() -> str:
    """The fake model's answer: :data:`SHOWCASE_PERSONAS` by reference, as a model writes it
    (passage IDs of the samples read in sorted order, the representative quote as a span)."""
    from persona.ingest import read_files

    samples = sorted(
        p
        for p in (Path(__file__).resolve().parent.parent / "samples").rglob("*")
        if "languages" not in p.parts
    )
    reading = read_files([(p.name, p.read_bytes()) for p in samples if p.is_file()])

    def cited(item: Quote) -> str:
        """The citable passage of that file holding the quote (a survey row's answer cell)."""
        quote, source, _locator = item
        return next(
            p.id
            for p in reading.passages
            if p.source == source and p.citable and " ".join(quote.split()) in p.text
        )

    personas = []
    for persona in SHOWCASE_PERSONAS["personas"]:
        drafted = dict(persona)
        quote = persona["quote"]
        drafted["quote"] = {
            "passage": cited((quote["quote"], quote["source"], quote["locator"])),
            "span": quote["quote"],
        }
        for section in ("goals", "pain_points", "behaviours", "motivations"):
            drafted[section] = [
                {
                    "text": claim["text"],
                    "passages": [
                        cited((e["quote"], e["source"], e["locator"])) for e in claim["evidence"]
                    ],
                }
                for claim in persona.get(section, [])
            ]
        personas.append(drafted)
    return json.dumps({"personas": personas}, ensure_ascii=False)

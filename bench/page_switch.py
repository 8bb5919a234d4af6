"""How long a page switch takes in a real browser, from the click to the page being done.

    python -m bench.page_switch [--rounds 5] [--runs 4]

Starts the fake Ollama and `streamlit run` on a throw-away data folder that holds a realistic
state: the sample study and ``--runs`` runs of it in History (written through ``persona.api``
by a scripted engine), with the sample study as the current one (``?study=``). A headless
Chromium (the system's, ``/usr/bin/chromium``) opens the dashboard once on every page (so the
first visit's imports are not counted), then clicks through the top navigation — Home,
Hardware & models, Generate, Compare, Study, History, Hybrid, Settings and back to Home —
``--rounds`` times.

A switch is timed from the click until (1) the new page's own title (its ``h1``, which no
other page shows) is on screen and (2) Streamlit reports the script as not running
(``data-test-script-state='notRunning'``, the state behind its running indicator): the page
is complete and the app idle. The click and the two waits are Playwright round trips of a
few milliseconds each, so a number is what a user waits plus that; a chart or table that
lays itself out after the script ended is not waited for.

The floor beside it: a second tab on a Streamlit app of two empty pages (a title each),
started the same way, switched after every Persona switch, so both see the same load. What
Persona adds is the difference; the floor is what this machine's browser and Streamlit take
at best.

Target: median page switch ≤ 1.0 s. The machine's load average is printed with the result:
on a shared machine the numbers move with it (the floor shows by how much).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

from playwright.sync_api import Page

from tests.browser import (
    IDLE,
    chromium_context,
    start_fake_ollama,
    start_streamlit,
)

TARGET_S = 1.0
START_TIMEOUT_MS = 180_000
PAGES: list[tuple[str, str]] = [  # (navigation link, the page's title)
    ("Home", "Persona"),
    ("Hardware & models", "Hardware & models"),
    ("Generate", "Generate personas"),
    ("Compare", "Compare models"),
    ("Study", "Study"),
    ("History", "History"),
    ("Hybrid", "Hybrid: local draft, Claude polish"),
    ("Settings", "Settings"),
]
PATHS = {
    "Home": "/",
    "Hardware & models": "/hardware",
    "Generate": "/generate",
    "Compare": "/compare",
    "Study": "/study",
    "History": "/history",
    "Hybrid": "/hybrid",
    "Settings": "/settings",
}
FLOOR_APP = """import streamlit as st


def one():
    st.title("Empty one")


def two():
    st.title("Empty two")


pages = [st.Page(one, title="Empty one"), st.Page(two, title="Empty two", url_path="two")]
st.navigation(pages, position="top").run()
"""
FLOOR_PAGES = [("Empty two", "Empty two"), ("Empty one", "Empty one")]


def seed_history(data_dir: Path, runs: int) -> str:
    """The sample study and ``runs`` runs of it in ``data_dir``; returns the study's name."""
    os.environ["PERSONA_DATA_DIR"] = str(data_dir)
    from persona import api
    from persona.ingest.sample import SAMPLE_STUDY, sample_files
    from tests.fakes import ScriptedEngine

    store = api.open_history()
    api.add_to_study(SAMPLE_STUDY, sample_files(), store=store)
    for seed in range(runs):
        job = api.generate(
            None,
            "test-model",
            count=3,
            engine=ScriptedEngine(),
            store=store,
            study=SAMPLE_STUDY,
            seed=seed,
        )
        job.wait()
    return SAMPLE_STUDY


def heading(title: str) -> str:
    """A selector for ``title`` as the page's own h1 (a navigation link is not a heading)."""
    return f"[data-testid='stMain'] h1 [data-heading-text]:text-is({title!r})"


def switch(page: Page, link: str, title: str) -> float:
    """Click ``link`` in the top navigation; seconds until ``title`` shows and the app idles."""
    target = page.get_by_test_id("stTopNavLink").filter(has_text=link)
    start = time.perf_counter()
    target.click()
    page.wait_for_selector(heading(title), timeout=60_000)
    page.wait_for_selector(IDLE, timeout=60_000)
    return time.perf_counter() - start


@dataclass
class Timings:
    by_page: dict[str, list[float]] = field(default_factory=dict)

    def add(self, link: str, seconds: float) -> None:
        self.by_page.setdefault(link, []).append(seconds)

    @property
    def every(self) -> list[float]:
        return [s for values in self.by_page.values() for s in values]


def p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} CPUs"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="times through every page")
    parser.add_argument("--runs", type=int, default=4, help="runs of the study in History")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="persona-bench-") as folder:
        data_dir = Path(folder) / "data"
        study = seed_history(data_dir, args.runs)
        floor_app = Path(folder) / "floor.py"
        floor_app.write_text(FLOOR_APP, encoding="utf-8")
        ollama = start_fake_ollama()
        try:
            app = start_streamlit(ollama_host=ollama.url, data_dir=data_dir)
            floor = start_streamlit(ollama_host=ollama.url, data_dir=data_dir, app=floor_app)
            try:
                timings, floors = measure(app.url, floor.url, study, args.rounds)
            finally:
                floor.stop()
                app.stop()
        finally:
            ollama.stop()
    report(timings, floors)


def measure(url: str, floor_url: str, study: str, rounds: int) -> tuple[Timings, list[float]]:
    """Persona's switches by page, and the empty app's switches made between them."""
    query = "?" + urlencode({"study": study})
    timings, floors = Timings(), []
    with chromium_context() as browser:
        page = browser.new_page()
        # every page once (the first visit imports its modules: not a switch); Home last
        for link, title in [*PAGES, PAGES[0]]:
            visit(page, url + PATHS[link] + query, title)
        if "study=" not in page.url:  # the study bar drops a study it cannot find
            raise SystemExit(f"the study {study!r} did not open as the current study")
        empty = browser.new_page()
        visit(empty, floor_url, "Empty one")
        print(f"{load()} before the clicks", flush=True)
        for _ in range(rounds):
            for number, (link, title) in enumerate([*PAGES[1:], PAGES[0]]):
                page.bring_to_front()
                timings.add(link, switch(page, link, title))
                empty.bring_to_front()
                floors.append(switch(empty, *FLOOR_PAGES[number % 2]))
    return timings, floors


def visit(page: Page, address: str, title: str) -> None:
    """Open ``address`` and wait until ``title`` shows and the app idles (first visits import
    a page's modules: a loaded machine takes long)."""
    page.goto(address)
    page.wait_for_selector(heading(title), timeout=START_TIMEOUT_MS)
    page.wait_for_selector(IDLE, timeout=START_TIMEOUT_MS)


def report(timings: Timings, floors: list[float]) -> None:
    print(f"{'page':<20} {'median':>8} {'p90':>8} {'max':>8}  n")
    for link, _title in PAGES:
        values = timings.by_page[link]
        print(
            f"{link:<20} {statistics.median(values):7.2f}s {p90(values):7.2f}s "
            f"{max(values):7.2f}s  {len(values)}"
        )
    every = timings.every
    median = statistics.median(every)
    verdict = "PASS" if median <= TARGET_S else "FAIL"
    print(
        f"page switch: median {median:.2f}s, p90 {p90(every):.2f}s over {len(every)} switches "
        f"(target median <= {TARGET_S:.1f}s): {verdict}"
    )
    floor = statistics.median(floors)
    print(
        f"empty Streamlit page (this machine's floor, same moments): median {floor:.2f}s, "
        f"p90 {p90(floors):.2f}s; Persona adds {median - floor:+.2f}s at the median"
    )
    print(f"{load()} after the clicks")


if __name__ == "__main__":
    main()

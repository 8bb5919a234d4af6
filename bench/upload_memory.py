"""Memory the dashboard keeps after tabs that uploaded a large survey are closed.

    python -m bench.upload_memory [--mb 45] [--tabs 3]

Starts the dashboard as `persona ui` does, uploads a 1 MB survey in one tab and closes it
(what the first upload loads once per process, such as the language detector's models, is not
an upload's memory), then opens ``--tabs`` tabs in Chromium that each upload a ``--mb`` MB CSV
and wait for the report, closes them, waits until Persona's reaper has released the sessions,
and prints the server's resident memory at each step. Target: after the tabs are closed,
within 100 MB of the memory before the large uploads (before any release, 640 MB stayed).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import psutil
from playwright.sync_api import BrowserContext, Page

from tests.browser import (
    chromium_context,
    closed_url,
    open_app,
    start_streamlit,
    wait_idle,
    warm_up,
)


def rss_mb(pid: int) -> float:
    return psutil.Process(pid).memory_info().rss / 1e6


def survey(path: Path, mb: int) -> Path:
    row = "R{n},nurse,Delivery slots are never on time and the app forgets my usual basket\n"
    with path.open("w", encoding="utf-8") as file:
        file.write("id,role,answer\n")
        n = 0
        while file.tell() < mb * 1_000_000:
            file.write(row.format(n=n))
            n += 1
    return path


def upload(browser: BrowserContext, url: str, data: Path) -> Page:
    """A new tab on the Generate page that uploaded ``data`` and shows what was read."""
    page = open_app(browser, url, "/generate", ready_text="Upload at least")
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(data))
    page.get_by_text("files read").first.wait_for(timeout=180_000)
    wait_idle(page, 180_000)
    return page


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=45)
    parser.add_argument("--tabs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        data = survey(Path(folder) / "survey.csv", args.mb)
        server = start_streamlit(
            ollama_host=closed_url(),
            data_dir=Path(folder) / "data",
            extra_env={"STREAMLIT_SERVER_DISCONNECTED_SESSION_TTL": "2"},
        )
        try:
            with chromium_context() as browser:
                warm_up(browser, server.url)
                # what any first upload loads once per process (the language detector's
                # models, the readers' modules) is not an upload's memory: a small survey first
                upload(browser, server.url, survey(Path(folder) / "small.csv", 1)).close()
                time.sleep(15)
                before = rss_mb(server.process.pid)
                print(f"after a 1 MB upload:     {before:7.0f} MB (tab closed)")
                pages = [upload(browser, server.url, data) for _ in range(args.tabs)]
                loaded = rss_mb(server.process.pid)
                print(f"{args.tabs} tabs with {args.mb} MB each: {loaded:7.0f} MB")
                for page in pages:
                    page.close()
                time.sleep(15)  # the disconnected-session TTL, then Streamlit's cleanup
                after = rss_mb(server.process.pid)
                print(
                    f"after closing the tabs:  {after:7.0f} MB "
                    f"({after - before:+.0f} MB, target within +100 MB)"
                )
        finally:
            server.stop()


if __name__ == "__main__":
    main()

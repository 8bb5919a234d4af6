"""Make the README's screenshots in docs/ (a test run never writes into the repository).

The screenshots come from the same real-browser and export tests that check those pages, run
with ``--screenshots docs``: what the README shows is what the tests saw. Needs what the tests
need (Chromium at /usr/bin/chromium, poppler-utils) plus fonts-noto-color-emoji for the icons.

    .venv/bin/python docs/make_screenshots.py
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHOTS = [
    "tests/test_browser.py::test_pull_a_model_with_live_progress",
    "tests/test_browser.py::test_delete_a_model_after_confirming",
    "tests/test_browser.py::test_generate_download_and_find_in_history",
    "tests/test_browser_hybrid.py::test_draft_consent_refine_diff_accept",
    "tests/test_browser_workflow.py::test_qualtrics_columns_generate_and_read_a_quote_in_context",
    "tests/test_browser_workflow.py::test_history_groups_filters_and_deletes_in_bulk",
    "tests/test_formats.py::test_pdf_first_page_screenshot",
]
"""The tests that take a screenshot (the delete test shows the model the pull test added)."""


def main() -> int:
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    command += [*SHOTS, "--screenshots", str(ROOT / "docs")]
    return subprocess.run(command, cwd=ROOT, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())

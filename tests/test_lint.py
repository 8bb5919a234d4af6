"""ruff lint and format checks run with the tests, so CI and the README agree."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

from persona.cli.ui import server_settings

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    "args", [["check", "."], ["format", "--check", "."]], ids=["lint", "format"]
)
def test_ruff(args: list[str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ruff", *args], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_streamlit_config_keeps_everything_local() -> None:
    """The dashboard's one config file (``persona ui`` gives it to Streamlit as flags)."""
    config = server_settings()
    assert config["browser"]["gatherUsageStats"] is False
    assert config["server"]["address"] == "127.0.0.1"
    assert config["server"]["enableXsrfProtection"] is True
    assert not (ROOT / ".streamlit" / "config.toml").exists(), "a second copy of the settings"


@pytest.mark.parametrize("args", [[], ["tests"]], ids=["strict", "tests"])
def test_mypy_is_clean(args: list[str]) -> None:
    """Types, with the settings in pyproject.toml: strict over persona/, pages/ and app.py;
    the tests in a second run, not strict."""
    result = subprocess.run(
        [sys.executable, "-m", "mypy", *args], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_import_contracts_hold() -> None:
    """The layers and boundaries in pyproject.toml ([tool.importlinter])."""
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint_imports)], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_the_faces_contract_fails_when_a_face_reaches_past_the_api(tmp_path: Path) -> None:
    """The faces contract is real: a dashboard module importing a domain module breaks it."""
    import shutil

    copy = tmp_path / "repo"
    shutil.copytree(
        ROOT / "persona", copy / "persona", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copy(ROOT / "pyproject.toml", copy / "pyproject.toml")
    page = copy / "persona" / "dashboard" / "ui" / "text.py"
    page.write_text(
        page.read_text(encoding="utf-8") + "\nfrom persona.history.store import Store\n",
        encoding="utf-8",
    )
    lint_imports = Path(sys.executable).with_name("lint-imports")
    env = {**os.environ, "PYTHONPATH": str(copy)}
    result = subprocess.run([str(lint_imports)], cwd=copy, capture_output=True, text=True, env=env)
    assert result.returncode != 0
    assert "persona.dashboard.ui.text -> persona.history.store" in result.stdout


def _shown_by_magic(body: list[ast.stmt]) -> list[int]:
    """Lines of bare strings Streamlit's magic would write on the page: outside functions
    and classes, whose docstrings it skips (as it skips the script's own docstring)."""
    lines = []
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        if isinstance(node, ast.Expr) and isinstance(node.value, (ast.Constant, ast.JoinedStr)):
            lines.append(node.lineno)
        for field in ("body", "orelse", "finalbody", "handlers"):
            lines += _shown_by_magic(getattr(node, field, []))
    return lines


def test_no_page_shows_a_stray_string() -> None:
    scripts = [
        ROOT / "persona" / "dashboard" / "app.py",
        *sorted((ROOT / "persona" / "dashboard" / "pages").glob("*.py")),
    ]
    stray = {}
    for script in scripts:
        body = ast.parse(script.read_text(encoding="utf-8")).body
        if body and ast.get_docstring(ast.Module(body=body, type_ignores=[])) is not None:
            body = body[1:]
        if lines := _shown_by_magic(body):
            stray[script.name] = lines
    assert stray == {}, f"bare strings Streamlit would show on the page (use comments): {stray}"

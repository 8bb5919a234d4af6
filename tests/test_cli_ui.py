"""`persona ui`: the installed dashboard with the server settings of its one config file, on a
port that is free, from any folder; bound to this computer only; Ctrl+C stops it."""

from __future__ import annotations

import os
import signal
import socket
import sys
import webbrowser
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest
import requests

from persona.cli import ui
from persona.cli.commands import main
from persona.cli.exits import EXIT_FAIL, EXIT_OK
from persona.core.errors import InputError
from tests.browser import closed_url, start_streamlit

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A port another program listens on (on 127.0.0.1, where the dashboard would)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        yield int(other.getsockname()[1])


def flag(command: list[str], name: str) -> str:
    """The value given to ``--name`` in ``command``."""
    return command[command.index(f"--{name}") + 1]


def test_every_setting_of_the_config_file_becomes_a_flag() -> None:
    settings = ui.server_settings()
    command = ui.streamlit_command(8765)
    start = [sys.executable, *ui.SAFE_PATH, "-m", "streamlit", "run"]
    assert command[: len(start)] == start
    assert Path(command[len(start)]) == ROOT / "persona" / "dashboard" / "app.py"
    given = 0
    for section, options in settings.items():
        for name, value in options.items():
            expected = {True: "true", False: "false"}.get(value, str(value))
            assert flag(command, f"{section}.{name}") == expected, (section, name)
            given += 1
    assert given >= 10 and len(command) == len(start) + 1 + 2 * given + 2
    assert flag(command, "server.port") == "8765"
    assert settings["server"]["headless"] is True  # Streamlit opens no browser, asks no email


@pytest.mark.parametrize(("limit", "accepted"), [("20", "50"), ("120", "120"), ("80.5", "81")])
def test_uploads_are_accepted_up_to_persona_s_file_limit_when_it_is_higher(
    monkeypatch: pytest.MonkeyPatch, limit: str, accepted: str
) -> None:
    monkeypatch.setenv("PERSONA_MAX_FILE_MB", limit)
    assert flag(ui.streamlit_command(8765), "server.maxUploadSize") == accepted


def test_flags_spell_booleans_and_numbers_as_streamlit_reads_them() -> None:
    settings: dict[str, dict[str, object]] = {
        "server": {"headless": True, "maxUploadSize": 50},
        "browser": {"x": False},
    }
    assert ui.streamlit_flags(settings) == [
        "--server.headless",
        "true",
        "--server.maxUploadSize",
        "50",
        "--browser.x",
        "false",
    ]


def test_a_busy_port_asked_for_is_refused_with_what_to_do(
    busy_port: int, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["ui", "--port", str(busy_port)]) == EXIT_FAIL
    err = capsys.readouterr().err
    assert f"port {busy_port} is in use" in err
    suggested = int(err.split("persona ui --port ")[1].split("`")[0])
    assert suggested > busy_port and ui.port_problem("127.0.0.1", suggested) is None


def test_without_a_port_the_next_free_one_is_taken_and_said(
    busy_port: int, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(ui, "DEFAULT_PORT", busy_port)
    port = ui.choose_port(None, "127.0.0.1")
    assert busy_port < port < busy_port + ui.PORTS_TRIED
    out = capsys.readouterr().out
    assert f"Port {busy_port} is in use" in out and f"using port {port}" in out


def test_a_port_asked_for_is_used_if_free(busy_port: int) -> None:
    with pytest.raises(InputError, match="--port"):
        ui.choose_port(busy_port, "127.0.0.1")
    free = next(p for p in range(busy_port + 1, 65536) if not ui.port_problem("127.0.0.1", p))
    assert ui.choose_port(free, "127.0.0.1") == free


@pytest.mark.parametrize("port", ["0", "65536", "-1", "eighty"])
def test_a_port_that_is_no_port_is_a_usage_error(
    port: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["ui", "--port", port])
    assert exit_.value.code == 2
    assert "1-65535" in capsys.readouterr().err


def test_open_opens_the_browser_once_the_server_answers_and_ctrl_c_stops_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Streamlit's part is played by Python's HTTP server (seconds instead of a dashboard)."""
    server: list[psutil.Process] = []

    def serve(port: int) -> list[str]:
        return [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"]

    opened: list[str] = []

    def open_browser(url: str) -> bool:
        answer = requests.get(url.replace("localhost", "127.0.0.1"), timeout=5)
        opened.append(f"{url} {answer.status_code}")
        for child in psutil.Process().children():  # Ctrl+C reaches the whole terminal group
            if "http.server" in child.cmdline():
                server.append(child)
                child.send_signal(signal.SIGINT)
        raise KeyboardInterrupt

    monkeypatch.setattr(ui, "streamlit_command", serve)
    monkeypatch.setattr(webbrowser, "open", open_browser)
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.chdir(tmp_path)
    port = next(p for p in range(18501, 18601) if not ui.port_problem("127.0.0.1", p))
    assert main(["ui", "--open", "--port", str(port)]) == EXIT_OK
    assert opened == [f"http://localhost:{port} 200"]
    assert server and not any(child.is_running() for child in server)
    out = capsys.readouterr().out
    assert f"http://localhost:{port}" in out and "stopped" in out


@pytest.mark.parametrize(("exit_code", "expected"), [(0, EXIT_OK), (1, EXIT_FAIL)])
def test_a_server_that_stops_first_is_reported_stopped_or_failed(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    exit_code: int,
    expected: int,
) -> None:
    """Ctrl+C in a terminal reaches the server too, which may exit before Persona sees the
    interrupt: a clean exit still says the dashboard stopped; a failed one is a failure."""

    def server(port: int) -> list[str]:
        return [sys.executable, "-c", f"raise SystemExit({exit_code})"]

    monkeypatch.setattr(ui, "streamlit_command", server)
    monkeypatch.chdir(tmp_path)
    port = next(p for p in range(18601, 18701) if not ui.port_problem("127.0.0.1", p))
    assert main(["ui", "--port", str(port)]) == expected
    stopped = "Persona's dashboard stopped." in capsys.readouterr().out
    assert stopped is (exit_code == 0)


@pytest.mark.browser
def test_persona_ui_serves_the_installed_dashboard_from_any_folder_on_127_0_0_1_only(
    tmp_path: Path,
) -> None:
    """Started as users start it, from a folder whose own Streamlit config asks for every
    network interface and usage statistics: Persona's settings win."""
    folder = tmp_path / "elsewhere"
    (folder / ".streamlit").mkdir(parents=True)
    (folder / ".streamlit" / "config.toml").write_text(
        '[server]\naddress = "0.0.0.0"\n\n[browser]\ngatherUsageStats = true\n', encoding="utf-8"
    )
    app = start_streamlit(
        ollama_host=closed_url(), data_dir=tmp_path / "data", cwd=folder, via_cli=True
    )
    try:
        assert requests.get(app.url, timeout=10).status_code == 200
        (streamlit,) = psutil.Process(app.process.pid).children(recursive=True)
        listening = [
            c.laddr
            for c in streamlit.net_connections(kind="inet")
            if c.status == psutil.CONN_LISTEN
        ]
        assert {address.ip for address in listening} == {"127.0.0.1"}, listening
        command = streamlit.cmdline()
        assert Path(command[command.index("run") + 1]) == ui.dashboard_file("app.py")
        assert flag(command, "server.address") == "127.0.0.1"
        assert flag(command, "browser.gatherUsageStats") == "false"
        assert flag(command, "server.enableXsrfProtection") == "true"
        assert streamlit.cwd() == str(folder)

        for process in (app.process.pid, streamlit.pid):  # Ctrl+C in the terminal
            os.kill(process, signal.SIGINT)
        assert app.process.wait(timeout=30) == EXIT_OK, app.log_tail()
        assert not streamlit.is_running()
    finally:
        app.stop()
    assert "Persona's dashboard stopped." in app.log_tail()


def test_no_browser_is_started_in_the_terminal_of_a_linux_without_a_display(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    opened: list[str] = []

    def open_url(url: str) -> bool:
        opened.append(url)
        return True

    monkeypatch.setattr(webbrowser, "open", open_url)
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    assert ui.open_browser("http://localhost:8501") is False and opened == []
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")
    assert ui.open_browser("http://localhost:8501") is True
    assert opened == ["http://localhost:8501"]

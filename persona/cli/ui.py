"""`persona ui`: the dashboard, served on this computer only, from any working directory.

Streamlit runs the installed package's ``persona/dashboard/app.py`` with the server settings of
``persona/dashboard/config.toml`` (bound to 127.0.0.1, no usage statistics, XSRF protection),
each given to ``streamlit run`` as a command-line flag: Streamlit reads a config file only from
the working directory and ``~/.streamlit``, and flags also win over a user's own config there.
Streamlit runs in a child process (this command never imports it); Ctrl+C stops both.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
import tomllib
import webbrowser
from collections.abc import Mapping
from importlib import resources
from math import ceil
from pathlib import Path
from types import FrameType
from typing import Any

from persona.api.settings import load_settings
from persona.cli.exits import EXIT_FAIL, EXIT_OK
from persona.core.errors import InputError

DEFAULT_PORT = 8501
"""Streamlit's own default."""
PORTS_TRIED = 100
"""Without ``--port``: 8501, else the next free one of this many (as Streamlit itself does)."""
UP_TIMEOUT_S = 60.0
"""``--open`` waits this long for the server to answer before giving up on the browser."""
STOP_TIMEOUT_S = 10.0
SAFE_PATH = ["-P"]
"""Python does not put the working folder first on the import path (a `persona/` folder there
must not replace the installed package)."""


def dashboard_file(name: str) -> Path:
    """A file of the installed dashboard (located, never imported: this face does not import
    the other)."""
    return Path(str(resources.files("persona") / "dashboard" / name))


def server_settings() -> dict[str, dict[str, Any]]:
    """``persona/dashboard/config.toml``: the one place the server settings are kept."""
    text = dashboard_file("config.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def streamlit_flags(settings: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Each setting as ``streamlit run`` takes it: ``--server.address 127.0.0.1``."""
    flags: list[str] = []
    for section, options in settings.items():
        for name, value in options.items():
            shown = str(value).lower() if isinstance(value, bool) else str(value)
            flags += [f"--{section}.{name}", shown]
    return flags


def streamlit_command(port: int, app: Path | None = None) -> list[str]:
    """``streamlit run`` on the installed dashboard (or another ``app``, for a bench's
    baseline) with Persona's settings, on ``port``.

    ``-P`` (Python 3.11+): the working folder is not put first on the import path, so a
    ``persona/`` folder there (the checkout it was installed from) does not replace the
    installed package's modules.

    Uploads are accepted up to Persona's file limit (``PERSONA_MAX_FILE_MB``) when it is
    above the configured one, so raising the limit needs no Streamlit flag."""
    settings = server_settings()
    server = settings["server"]
    server["maxUploadSize"] = max(int(server["maxUploadSize"]), ceil(load_settings().max_file_mb))
    return [
        sys.executable,
        *SAFE_PATH,
        "-m",
        "streamlit",
        "run",
        str(app or dashboard_file("app.py")),
        *streamlit_flags(settings),
        "--server.port",
        str(port),
    ]


def port_number(text: str) -> int:
    """``--port``'s value: a TCP port, 1-65535."""
    try:
        port = int(text)
    except ValueError:
        port = 0
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port: give a number, 1-65535")
    return port


def port_problem(address: str, port: int) -> str | None:
    """Why the dashboard cannot listen on ``address:port`` now, or None if it can."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        if sys.platform != "win32":  # as Tornado binds: a port left in TIME_WAIT is free
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((address, port))
        except PermissionError:
            return f"port {port} needs administrator rights (ports below 1024 do)"
        except OSError:
            return f"port {port} is in use (by another program, or a dashboard already running)"
    return None


def choose_port(asked: int | None, address: str) -> int:
    """``asked`` if free (else a clear error); without it 8501 or the next free port, said."""
    if asked is not None:
        problem = port_problem(address, asked)
        if problem:
            raise InputError(
                f"The dashboard cannot start: {problem}. Choose another with --port, "
                f"e.g. `persona ui --port {_free_after(asked, address)}`."
            )
        return asked
    for port in range(DEFAULT_PORT, DEFAULT_PORT + PORTS_TRIED):
        if port_problem(address, port) is None:
            if port != DEFAULT_PORT:
                print(
                    f"Port {DEFAULT_PORT} is in use (by another program, or a dashboard already "
                    f"running): using port {port}. Choose one with --port."
                )
            return port
    last = DEFAULT_PORT + PORTS_TRIED - 1
    raise InputError(
        f"The dashboard cannot start: ports {DEFAULT_PORT}-{last} are all in use. "
        "Choose a free one with --port, e.g. `persona ui --port 9000`."
    )


def _free_after(port: int, address: str) -> int:
    """A port above ``port`` that is free now (for the error message's example)."""
    for candidate in range(port + 1, min(port + PORTS_TRIED, 65535) + 1):
        if candidate >= 1024 and port_problem(address, candidate) is None:
            return candidate
    return DEFAULT_PORT


def wait_until_listening(address: str, port: int, process: subprocess.Popen[bytes]) -> bool:
    """True once the server accepts connections; False if it stopped or never answered."""
    deadline = time.monotonic() + UP_TIMEOUT_S
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with socket.create_connection((address, port), timeout=1):
                return True
        except OSError:
            time.sleep(0.2)
    return False


def open_browser(url: str) -> bool:
    """Open ``url`` in the user's browser; False where none can be shown. On Linux without a
    display Python would start a text browser (lynx, w3m) inside this terminal instead."""
    linux = sys.platform.startswith("linux")
    if linux and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return False
    return webbrowser.open(url)


def stop(process: subprocess.Popen[bytes], *, at_once: bool = False) -> None:
    """Let the server finish (Ctrl+C reached it too), else, or ``at_once``, end it."""
    for end in (process.terminate, process.kill):
        if not at_once:
            try:
                process.wait(timeout=STOP_TIMEOUT_S)
                return
            except subprocess.TimeoutExpired:
                pass
        end()
        at_once = False
    process.wait()


def cmd_ui(args: argparse.Namespace) -> int:
    """Run ``persona ui``: serve the dashboard until Ctrl+C (or the server stops)."""
    settings = server_settings()
    address = settings["server"]["address"]
    port = choose_port(args.port, address)
    url = f"http://{settings['browser']['serverAddress']}:{port}"
    print(f"Persona's dashboard: {url} (on this computer only). Ctrl+C stops it.", flush=True)
    process = subprocess.Popen(streamlit_command(port))

    def terminated(signum: int, frame: FrameType | None) -> None:
        process.terminate()
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, terminated)
    try:
        up = args.open and wait_until_listening(address, port, process)
        if up and not open_browser(url):
            print(f"No browser could be opened here: open {url} yourself.", flush=True)
        code = process.wait()
    except KeyboardInterrupt:
        stop(process)
        code = 0
    finally:
        signal.signal(signal.SIGTERM, previous)
        if process.poll() is None:  # an unexpected error here: the server must not outlive us
            stop(process, at_once=True)
    if code != 0:
        return EXIT_FAIL
    # Ctrl+C in a terminal reaches the server too: it may stop before we see the interrupt
    print("Persona's dashboard stopped.")
    return EXIT_OK


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The ``ui`` command's arguments."""
    command = sub.add_parser(
        "ui", help="open the dashboard: served on this computer only, Ctrl+C stops it"
    )
    command.add_argument(
        "--port",
        type=port_number,
        help=f"the port to serve on (default: {DEFAULT_PORT}, or the next free one if it is "
        "in use); the dashboard is then at http://localhost:PORT",
    )
    command.add_argument(
        "--open", action="store_true", help="open the dashboard in your browser once it is up"
    )
    command.set_defaults(func=cmd_ui, needs_engine=False)

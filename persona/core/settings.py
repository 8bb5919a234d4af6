"""Every tunable in one place: explicit argument → environment variable → default."""

from __future__ import annotations

import ipaddress
import os
import platform
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from persona.core.errors import ConfigError

DEFAULT_OLLAMA_HOST = "http://127.0.0.1:11434"
_DEFAULT_PORT = 11434


def resolve_ollama_host(host: str | None = None) -> str:
    """The Ollama base URL from an argument, else ``OLLAMA_HOST``, else the local default.

    Accepts what Ollama's own clients accept: ``host``, ``host:port``, ``:port``,
    ``scheme://host[:port][/path]``. ``0.0.0.0`` (a *listen* address) means this machine.
    """
    raw = (host if host is not None else os.environ.get("OLLAMA_HOST", "")).strip()
    if not raw:
        return DEFAULT_OLLAMA_HOST
    scheme, sep, rest = raw.partition("://")
    port = _DEFAULT_PORT
    if not sep:
        scheme, rest = "http", raw
    elif scheme == "https":
        port = 443
    elif scheme == "http":
        port = 80
    parts = urlsplit(f"{scheme}://{rest}")
    hostname = parts.hostname or "127.0.0.1"
    if hostname in ("0.0.0.0", "::"):
        hostname = "127.0.0.1"
    try:
        port = parts.port or port
    except ValueError as exc:
        raise ConfigError(
            "OLLAMA_HOST", raw, "an address such as 127.0.0.1:11434 or http://host:11434"
        ) from exc
    try:
        if ipaddress.ip_address(hostname).version == 6:
            hostname = f"[{hostname}]"
    except ValueError:
        pass
    path = parts.path.strip("/")
    base = f"{scheme}://{hostname}:{port}"
    return f"{base}/{path}" if path else base


def default_data_dir() -> Path:
    """Where runs are stored: ``PERSONA_DATA_DIR``, else the OS's per-user data folder."""
    override = os.environ.get("PERSONA_DATA_DIR")
    if override:
        return Path(override).expanduser()
    system = platform.system()
    home = Path.home()
    if system == "Darwin":
        return home / "Library" / "Application Support" / "Persona"
    if system == "Windows":
        return Path(os.environ.get("APPDATA", home / "AppData" / "Roaming")) / "Persona"
    return Path(os.environ.get("XDG_DATA_HOME", home / ".local" / "share")) / "persona"


def _env_float(name: str, default: float | None) -> float | None:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    if value.strip().lower() in ("none", "off", "0"):
        return None
    try:
        number = float(value)
    except ValueError:
        number = -1.0
    if not number > 0 or number == float("inf"):
        raise ConfigError(name, value, "a positive number of seconds or megabytes, or 'off'")
    return number


@dataclass(frozen=True)
class Timeouts:
    """Seconds. ``None`` means wait as long as it takes."""

    connect: float = 3.0
    """Opening a connection: a dead or absent server fails this fast."""
    request: float = 30.0
    """Quick calls (version, list, show, ps, delete)."""
    load: float | None = None
    """Generation and pulls: Ollama sends nothing while a model loads, which can take minutes."""

    @classmethod
    def from_env(cls, base: Timeouts | None = None) -> Timeouts:
        """``base`` (default: the built-in defaults), overridden by the environment."""
        base = base or cls()
        return cls(
            connect=_env_float("PERSONA_CONNECT_TIMEOUT", base.connect) or base.connect,
            request=_env_float("PERSONA_REQUEST_TIMEOUT", base.request) or base.request,
            load=_env_float("PERSONA_LOAD_TIMEOUT", base.load),
        )


@dataclass(frozen=True)
class Settings:
    """Persona's settings, read once from the environment."""

    ollama_host: str = field(default_factory=resolve_ollama_host)
    timeouts: Timeouts = field(default_factory=Timeouts.from_env)
    data_dir: Path = field(default_factory=default_data_dir)
    max_file_mb: float = field(
        default_factory=lambda: _env_float("PERSONA_MAX_FILE_MB", 50.0) or 50.0
    )

    @property
    def max_file_bytes(self) -> int:
        return int(self.max_file_mb * 1024 * 1024)

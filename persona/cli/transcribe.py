"""`persona transcribe`: recordings to WebVTT transcripts, on this machine; and the recordings
``persona generate --from`` is given, transcribed before they are read."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from persona.api.exports import check_writable_dir, save_new
from persona.api.reading import folder_files
from persona.api.recordings import (
    describe_estimate,
    is_recording,
    kept_transcript,
    needs_confirmation,
    open_recording,
    pending,
    transcribe,
)
from persona.cli.exits import EXIT_FAIL, EXIT_OK
from persona.cli.prompt import ask_yes
from persona.cli.terminal import drive
from persona.core.errors import InputError
from persona.types import NO_SPEAKERS, Recording


def _recording_paths(sources: Sequence[str]) -> list[Path]:
    """The recordings among files and folders (folders searched as ``--from`` reads them)."""
    found: list[Path] = []
    for raw in sources:
        path = Path(raw)
        files = folder_files(path) if path.is_dir() else [path]
        found.extend(f for f in files if is_recording(f.name))
    return found


def _open(paths: Sequence[Path]) -> tuple[list[Recording], list[str]]:
    """The recordings that can be transcribed, and why the others cannot."""
    recordings, errors = [], []
    for path in paths:
        try:
            if not path.is_file():
                raise InputError(f"{path}: no such file. Check the path.")
            recordings.append(open_recording(path.name, path))
        except InputError as exc:
            errors.append(str(exc))
    return recordings, errors


def _confirm(recordings: Sequence[Recording], assume_yes: bool) -> None:
    """Say how long the work will take; long work goes ahead only when the user agrees."""
    if not pending(recordings):
        return
    estimate = describe_estimate(recordings)
    print(estimate, file=sys.stderr)
    if not needs_confirmation(recordings) or assume_yes:
        return
    unattended = f"{estimate} Add --yes to start it without being asked."
    if not ask_yes("Transcribe now? [y/N] ", unattended=unattended):
        raise InputError("Not transcribed. Nothing was changed.")


def transcribe_sources(sources: Sequence[str], assume_yes: bool) -> None:
    """Transcribe the recordings among ``sources`` that have no kept transcript, with a
    progress bar; the ones that cannot be read are reported when the files are read."""
    recordings, _ = _open(_recording_paths(sources))
    if not pending(recordings):
        return
    _confirm(recordings, assume_yes)
    print(NO_SPEAKERS.format(participant="the recording's file name"), file=sys.stderr)
    try:
        drive(transcribe(recordings))
    except InputError as exc:  # the others were transcribed; reading reports this one
        print(f"Warning: {exc}", file=sys.stderr)


def cmd_transcribe(args: argparse.Namespace) -> int:
    """Write a WebVTT transcript per recording into ``--out`` (never replacing a file)."""
    out = check_writable_dir(Path(args.out))
    paths = [Path(p) for p in args.files]
    not_recordings = [str(p) for p in paths if not is_recording(p.name)]
    if not_recordings:
        raise InputError(
            f"Not a recording: {', '.join(not_recordings)}. `persona transcribe` takes "
            ".wav .mp3 .m4a .mp4 .mov .webm .ogg files."
        )
    recordings, errors = _open(paths)
    for error in errors:
        print(f"  skip  {error}", file=sys.stderr)
    if not recordings:
        raise InputError("None of the recordings could be transcribed; see the reasons above.")
    _confirm(recordings, args.yes)
    failed = len(errors)
    try:
        drive(transcribe(recordings))
    except InputError as exc:
        print(f"  skip  {exc}", file=sys.stderr)
    for recording in recordings:
        transcript = kept_transcript(recording.sha256, name=recording.name)
        if transcript is None:  # could not be decoded: reported above
            failed += 1
        elif not transcript.segments:
            print(
                f"  skip  No speech was found in {recording.name}: check that it is the "
                "right recording and that its sound was recorded.",
                file=sys.stderr,
            )
            failed += 1
        else:
            vtt = save_new(out, f"{Path(recording.name).stem}.vtt", transcript.to_vtt().encode())
            print(vtt)
            print(f"        {transcript.summary()}", file=sys.stderr)
    if failed < len(paths):
        print(NO_SPEAKERS.format(participant="the recording's file name"), file=sys.stderr)
    return EXIT_FAIL if failed else EXIT_OK


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """The ``transcribe`` command's arguments."""
    command = sub.add_parser(
        "transcribe", help="recordings to WebVTT transcripts, on this machine (no upload)"
    )
    command.add_argument(
        "files", nargs="+", metavar="FILE", help="recordings: .wav .mp3 .m4a .mp4 .mov .webm .ogg"
    )
    command.add_argument(
        "--out", default=".", help="folder for the .vtt files (default: here); never overwritten"
    )
    command.add_argument(
        "--yes", action="store_true", help="start a long transcription without asking"
    )
    command.set_defaults(func=cmd_transcribe, needs_engine=False)  # on this machine

"""Read research files into passages that remember where they came from.

Supported: CSV/TSV, Excel (.xlsx), JSON, JSON Lines, TXT, Markdown, PDF (text layer), DOCX,
meeting transcripts (WebVTT .vtt, SubRip .srt, timestamped .txt) and recordings
(.wav .mp3 .m4a .mp4 .mov .webm .ogg) once transcribed (:mod:`persona.transcribe`).
Every input gets a :class:`FileReport`; a file that cannot be read gets an error that says
what to do and never stops the others. Nothing is truncated: a file over the size limit is
refused whole.

Locators are 1-based:

- CSV/TSV and Excel: survey tables (:mod:`persona.ingest.columns`). Each free-text answer
  cell is a passage ``row N, LABEL`` (the row a spreadsheet shows: the header is row 1);
  the respondent's other columns are context (``row N``), never evidence. Several sheets
  read from one workbook start the locator with the sheet name.
- JSON: ``record N`` (position in a list) or ``record KEY`` (an object of records); nested
  values are flattened to ``a.b: value``.
- JSON Lines, TXT, Markdown: ``line N`` as an editor numbers it; one passage per non-empty line.
- Meeting transcripts: the start time of a turn, ``00:01:23`` (:mod:`persona.ingest.transcripts`).
- Recordings: the segment's start time, ``00:01:23``; read from the transcript kept for
  the recording's bytes, with the researcher's review (their limit is their length, not
  ``PERSONA_MAX_FILE_MB``).
- PDF: ``page N``. DOCX: ``paragraph N`` (counting paragraphs that have text) and
  ``table T, row R`` (cells joined with `` | ``).

Every passage gets an ID unique across the files read together (``P1``, ``P2``... in reading
order), which models cite instead of copying text. Transcript lines (TXT, Markdown, DOCX
paragraphs) carry their speaker; headings, metadata and the interviewer's turns are context,
not evidence (see :mod:`persona.ingest.text`).

Text is decoded by its BOM (UTF-8, UTF-16 LE/BE), else as UTF-8, else as the code page
charset-normalizer detects, with Windows-1252 preferred when it fits as well.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from persona.core.documents import Document, Passage
from persona.core.errors import InputError
from persona.ingest.base import Parsed
from persona.ingest.encoding import decode_text, encoding_note
from persona.ingest.interviewers import Interviewers, check_interviewers, interviewer_for
from persona.ingest.kinds import (
    FILE_KINDS,
    SUPPORTED_EXTENSIONS,
    TABLE_DELIMITERS,
    check_kind,
    check_size,
    extension,
    file_limit,
    folder_files,
)
from persona.ingest.office import read_docx, read_pdf
from persona.ingest.report import FileReport, Reading, add_result, number_passages, read_report
from persona.ingest.roles import Choices, TableChoice, choice_for
from persona.ingest.spreadsheets import read_xlsx
from persona.ingest.structured import read_json, read_jsonl
from persona.ingest.tables import read_csv
from persona.ingest.text import label_turns, read_lines
from persona.ingest.transcripts import choose_interviewer, find_transcript, interviewer_note
from persona.transcribe import kept_transcript, open_recording, sha256_of
from persona.transcribe.audio import Source
from persona.transcribe.transcript import Transcript


def read_file(
    name: str,
    data: bytes,
    max_bytes: int | None = None,
    choice: TableChoice | None = None,
    interviewer: str | None = None,
) -> tuple[Document | None, FileReport]:
    """Read one file's bytes. A file that cannot be read gives ``None`` and a report with the error.

    ``max_bytes`` defaults to ``load_settings().max_file_bytes`` (``PERSONA_MAX_FILE_MB``);
    ``choice`` picks the sheets and column roles of a table (else they are suggested);
    ``interviewer`` names a transcript's interviewer ("" for nobody; else, or when it is not
    one of the speakers, the one detected).
    """
    kind = FILE_KINDS.get(extension(name), "")
    encoding = ""
    identifiers: list[str] = []
    speakers: list[str] = []
    asking = ""
    try:
        check_kind(name)
        if kind != "recording":  # a recording's limit is its length (see persona.transcribe)
            check_size(name, len(data), file_limit(max_bytes))
        if not data or data.isspace():
            raise InputError(
                f"{name} is empty. Check that the export or download finished, "
                "then upload the file again."
            )
        if kind == "recording":
            return read_recording(name, data, len(data))
        if kind == "xlsx":
            passages, warnings, identifiers = read_xlsx(name, data, choice)
        elif kind in _BINARY_READERS:
            passages, warnings = _BINARY_READERS[kind](name, data)
            if kind == "docx":
                passages = _docx_turns(passages)
        else:
            text, encoding = decode_text(name, data)
            try:
                if kind in TABLE_DELIMITERS:
                    passages, warnings, identifiers = read_csv(
                        name, text, TABLE_DELIMITERS[kind], choice
                    )
                elif transcript := find_transcript(name, text, kind):
                    speakers = transcript.speakers
                    chosen = choose_interviewer(transcript.turns, interviewer)
                    asking = chosen.name
                    passages = transcript.passages(name, asking)
                    warnings = [interviewer_note(speakers, chosen), *transcript.warnings]
                else:
                    passages, warnings = _TEXT_READERS[kind](name, text)
                if note := encoding_note(encoding):
                    warnings = [note, *warnings]
            except RecursionError as exc:  # JSON nested thousands of levels deep
                raise InputError(
                    f"{name} is nested too deeply to read. Flatten the records, or export "
                    "them as CSV, and upload that."
                ) from exc
        if not passages:
            raise InputError(f"{name} has no text in it. Check that it is the right file.")
    except InputError as exc:
        return None, FileReport(name, ok=False, kind=kind, size_bytes=len(data), error=str(exc))
    document = Document(
        name, kind, hashlib.sha256(data).hexdigest(), len(data), passages, identifiers
    )
    return document, read_report(document, warnings, encoding, speakers, asking)


def read_recording(name: str, source: Source, size: int) -> tuple[Document | None, FileReport]:
    """A recording's passages from the transcript kept for its bytes (see
    :mod:`persona.transcribe`); one not transcribed yet is checked and reported."""
    try:
        sha256 = sha256_of(source)
        transcript = kept_transcript(sha256, name=name)
        if transcript is None:
            open_recording(name, source, sha256)  # a damaged file says so, not "transcribe it"
            raise InputError(
                f"{name} is a recording that has not been transcribed yet: transcribe it on "
                f"the Generate page, or with `persona transcribe {name}`, then read it again."
            )
    except InputError as exc:
        return None, FileReport(name, ok=False, kind="recording", size_bytes=size, error=str(exc))
    except OSError as exc:
        error = f"{name} could not be opened ({exc.strerror or exc}). Check its permissions."
        return None, FileReport(name, ok=False, kind="recording", size_bytes=size, error=error)
    return read_transcribed(name, transcript, size)


def read_transcribed(
    name: str, transcript: Transcript, size: int
) -> tuple[Document | None, FileReport]:
    """The passages of the recording ``name`` (``size`` bytes) from its ``transcript``."""
    passages = transcript.passages(name)
    if not passages:
        error = (
            f"No speech was found in {name}: check that it is the right recording and "
            "that its sound was recorded (not muted), then add it again."
        )
        return None, FileReport(name, ok=False, kind="recording", size_bytes=size, error=error)
    document = Document(name, "recording", transcript.sha256, size, passages)
    return document, read_report(document, [transcript.summary(), transcript.no_speakers_note])


def read_files(
    items: Iterable[tuple[str, bytes]],
    max_bytes: int | None = None,
    choices: Choices | None = None,
    interviewers: Interviewers | None = None,
) -> Reading:
    """Read uploaded ``(name, bytes)`` pairs; one report per item, in order.

    ``choices`` gives, by file name, the sheets and column roles of tables; ``interviewers``
    the interviewer of transcripts (InputError naming the speakers when one is not a speaker).
    """
    limit = file_limit(max_bytes)
    reading = Reading()
    for name, data in items:
        chosen = interviewer_for(interviewers, name)
        add_result(reading, *read_file(name, data, limit, choice_for(choices, name), chosen))
    check_interviewers(reading, interviewers)
    return number_passages(reading)


def read_paths(
    paths: Sequence[Path | str],
    max_bytes: int | None = None,
    choices: Choices | None = None,
    interviewers: Interviewers | None = None,
) -> Reading:
    """Read files and folders (recursively: supported types only, hidden files skipped).

    Files found in a folder are named by their path relative to it. A missing path, an
    unreadable file or a folder with nothing to read gets a report with the error.
    ``choices`` and ``interviewers`` are as for :func:`read_files`.
    """
    limit = file_limit(max_bytes)
    reading = Reading()
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files = folder_files(path)
            if not files:
                error = (
                    f"{raw}: the folder has no files Persona can read "
                    f"({', '.join(SUPPORTED_EXTENSIONS)})."
                )
                add_result(reading, None, FileReport(str(raw), ok=False, error=error))
            for file in files:
                name = file.relative_to(path).as_posix()
                add_result(reading, *_read_path(file, name, limit, choices, interviewers))
        elif path.exists():
            add_result(reading, *_read_path(path, path.name, limit, choices, interviewers))
        else:
            error = f"{raw}: no such file or folder. Check the path."
            add_result(reading, None, FileReport(str(raw), ok=False, error=error))
    check_interviewers(reading, interviewers)
    return number_passages(reading)


def gather(results: Iterable[tuple[Document | None, FileReport]]) -> Reading:
    """Files read one by one (:func:`read_file`, :func:`read_transcribed`) as one reading,
    in order, with passage IDs."""
    reading = Reading()
    for document, report in results:
        add_result(reading, document, report)
    return number_passages(reading)


def _docx_turns(passages: list[Passage]) -> list[Passage]:
    """Speakers and context for a Word transcript's paragraphs; table rows stay as they are."""
    paragraphs = [p for p in passages if p.locator.startswith("paragraph")]
    labelled = iter(label_turns(paragraphs))
    return [next(labelled) if p.locator.startswith("paragraph") else p for p in passages]


_TEXT_READERS: dict[str, Callable[[str, str], Parsed]] = {
    "json": read_json,
    "jsonl": read_jsonl,
    "text": read_lines,
    "markdown": read_lines,
}


_BINARY_READERS: dict[str, Callable[[str, bytes], Parsed]] = {
    "pdf": read_pdf,
    "docx": read_docx,
}


def _read_path(
    path: Path, name: str, limit: int, choices: Choices | None, interviewers: Interviewers | None
) -> tuple[Document | None, FileReport]:
    """Read a file from disk; its type and size are checked before its bytes are loaded."""
    kind = FILE_KINDS.get(extension(name), "")
    if kind == "recording":  # hashed in blocks from disk, never loaded whole
        return read_recording(name, path, _size_of(path))
    size = 0
    try:
        size = path.stat().st_size
        check_kind(name)
        check_size(name, size, limit)
        data = path.read_bytes()
    except InputError as exc:
        return None, FileReport(name, ok=False, kind=kind, size_bytes=size, error=str(exc))
    except OSError as exc:
        error = f"{name} could not be opened ({exc.strerror or exc}). Check its permissions."
        return None, FileReport(name, ok=False, kind=kind, size_bytes=size, error=error)
    return read_file(
        name, data, limit, choice_for(choices, name), interviewer_for(interviewers, name)
    )


def _size_of(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0

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
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from persona.core.documents import Document, Passage
from persona.core.errors import InputError
from persona.core.settings import load_settings
from persona.core.tokens import estimate_tokens
from persona.ingest.base import Parsed
from persona.ingest.columns import Choices, TableChoice, choice_for
from persona.ingest.encoding import decode_text, encoding_note
from persona.ingest.office import read_docx, read_pdf
from persona.ingest.spreadsheets import read_xlsx
from persona.ingest.structured import read_json, read_jsonl
from persona.ingest.tables import read_csv
from persona.ingest.text import label_turns, read_lines
from persona.ingest.transcripts import (
    choose_interviewer,
    find_transcript,
    interviewer_note,
    same_speaker,
)
from persona.transcribe import RECORDING_EXTENSIONS, kept_transcript, open_recording, sha256_of
from persona.transcribe.audio import Source
from persona.transcribe.transcript import Transcript

FILE_KINDS: dict[str, str] = {
    ".csv": "csv",
    ".tsv": "tsv",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".txt": "text",
    ".md": "markdown",
    ".markdown": "markdown",
    ".pdf": "pdf",
    ".docx": "docx",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".vtt": "vtt",
    ".srt": "srt",
    **dict.fromkeys(RECORDING_EXTENSIONS, "recording"),
}
"""File extension → document kind, for every type Persona reads."""


SUPPORTED_EXTENSIONS: tuple[str, ...] = tuple(FILE_KINDS)


_ADVICE = {
    ".xls": "old Excel workbooks (.xls) are not read; save it as .xlsx "
    "(File → Save As → Excel Workbook) and upload that",
    ".ods": "spreadsheets are not read directly; save the sheet as CSV and upload that",
    ".numbers": "Numbers files are not read directly; export the sheet as CSV and upload that",
    ".doc": "old Word documents (.doc) are not read; save it as .docx "
    "(File → Save As → Word Document) and upload that",
    ".rtf": "RTF is not read; save it as .docx or .txt and upload that",
    ".pages": "Pages files are not read directly; export it as Word (.docx) and upload that",
}


@dataclass(frozen=True)
class FileReport:
    """What reading one file gave, for the user to check before generating."""

    name: str
    ok: bool
    kind: str = ""
    size_bytes: int = 0
    rows: int = 0
    """Passages read: survey rows, records, lines, pages, paragraphs."""
    characters: int = 0
    tokens: int = 0
    """Estimated with :func:`persona.core.tokens.estimate_tokens`."""
    encoding: str = ""
    """The text encoding used (text formats only), as a Python codec name."""
    warnings: tuple[str, ...] = ()
    error: str = ""
    """Why the file was not read and what to do; empty when ``ok``."""
    speakers: tuple[str, ...] = ()
    """A meeting transcript's speakers, in order of first turn (other kinds: none)."""
    interviewer: str = ""
    """The transcript's interviewer, detected or chosen ("" for nobody)."""


@dataclass
class Reading:
    """The documents read from a batch of files, and one report per file, in input order."""

    documents: list[Document] = field(default_factory=list)
    reports: list[FileReport] = field(default_factory=list)

    @property
    def passages(self) -> list[Passage]:
        return [p for d in self.documents for p in d.passages]

    @property
    def total_tokens(self) -> int:
        return sum(r.tokens for r in self.reports)

    @property
    def total_characters(self) -> int:
        return sum(r.characters for r in self.reports)

    @property
    def ok_count(self) -> int:
        return sum(r.ok for r in self.reports)

    @property
    def failed(self) -> list[FileReport]:
        return [r for r in self.reports if not r.ok]


Interviewers = Mapping[str, str]
"""File name → the speaker who is the interviewer of that transcript ("" for nobody); the key
``*`` applies to every transcript that has such a speaker. Left out: detected."""


def interviewer_for(interviewers: Interviewers | None, name: str) -> str | None:
    """The interviewer chosen for file ``name`` (its own, else the one for every file)."""
    if not interviewers:
        return None
    return interviewers.get(name, interviewers.get("*"))


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
    kind = FILE_KINDS.get(_extension(name), "")
    encoding = ""
    identifiers: list[str] = []
    speakers: list[str] = []
    asking = ""
    try:
        _check_kind(name)
        if kind != "recording":  # a recording's limit is its length (see persona.transcribe)
            check_size(name, len(data), _limit(max_bytes))
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
    return document, _read_report(document, warnings, encoding, speakers, asking)


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
    return document, _read_report(document, [transcript.summary(), transcript.no_speakers_note])


def _read_report(
    document: Document,
    warnings: Sequence[str],
    encoding: str = "",
    speakers: Sequence[str] = (),
    interviewer: str = "",
) -> FileReport:
    return FileReport(
        document.name,
        ok=True,
        kind=document.kind,
        size_bytes=document.size_bytes,
        rows=len(document.passages),
        characters=document.characters,
        tokens=sum(estimate_tokens(p.text) for p in document.passages),
        encoding=encoding,
        warnings=tuple(warnings),
        speakers=tuple(speakers),
        interviewer=interviewer,
    )


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
    limit = _limit(max_bytes)
    reading = Reading()
    for name, data in items:
        chosen = interviewer_for(interviewers, name)
        _add(reading, *read_file(name, data, limit, choice_for(choices, name), chosen))
    check_interviewers(reading, interviewers)
    return number_passages(reading)


def interviewers_of(reading: Reading) -> dict[str, str]:
    """The interviewer of every transcript read ("" for nobody), by file name: saved with a
    run (``Run.options["interviewers"]``) so its files can be read the same way again."""
    return {r.name: r.interviewer for r in reading.reports if r.ok and r.speakers}


def check_interviewers(reading: Reading, interviewers: Interviewers | None) -> None:
    """Raise InputError, naming the speakers, when an interviewer chosen for a file read is
    not one of its speakers, or the one for every file (``*``) is a speaker of none."""
    wanted = {name: who for name, who in (interviewers or {}).items() if who.strip()}
    transcripts = [r for r in reading.reports if r.ok and r.speakers]
    read = {r.name for r in reading.reports if r.ok}
    for name, who in wanted.items():
        files = transcripts if name == "*" else [r for r in transcripts if r.name == name]
        if any(same_speaker(who, s) for r in files for s in r.speakers) or (
            name != "*" and name not in read  # a file not read this time (or not read at all)
        ):
            continue
        if not files:
            where = "these files" if name == "*" else name
            raise InputError(
                f"No meeting transcript with speakers among {where}, so {who!r} cannot be the "
                "interviewer. Choose an interviewer only for .vtt, .srt or timestamped .txt "
                "transcripts."
            )
        names = "; ".join(f"{r.name}: {', '.join(r.speakers)}" for r in files)
        raise InputError(
            f"{who!r} is not a speaker in {'these transcripts' if name == '*' else name}. "
            f'The speakers are {names}. Give one of these names exactly, or "nobody".'
        )


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
    limit = _limit(max_bytes)
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
                _add(reading, None, FileReport(str(raw), ok=False, error=error))
            for file in files:
                name = file.relative_to(path).as_posix()
                _add(reading, *_read_path(file, name, limit, choices, interviewers))
        elif path.exists():
            _add(reading, *_read_path(path, path.name, limit, choices, interviewers))
        else:
            error = f"{raw}: no such file or folder. Check the path."
            _add(reading, None, FileReport(str(raw), ok=False, error=error))
    check_interviewers(reading, interviewers)
    return number_passages(reading)


def gather(results: Iterable[tuple[Document | None, FileReport]]) -> Reading:
    """Files read one by one (:func:`read_file`, :func:`read_transcribed`) as one reading,
    in order, with passage IDs."""
    reading = Reading()
    for document, report in results:
        _add(reading, document, report)
    return number_passages(reading)


def number_passages(reading: Reading) -> Reading:
    """Give every passage of ``reading`` an ID unique in the study: ``P1``, ``P2``... in order."""
    number = 0
    for document in reading.documents:
        numbered: list[Passage] = []
        for passage in document.passages:
            number += 1
            numbered.append(replace(passage, id=f"P{number}"))
        document.passages = numbered
    return reading


TABLE_DELIMITERS = {"csv": ",;\t|", "tsv": "\t,;|"}
"""Delimiters tried for each table kind, preferred first."""


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


def _add(reading: Reading, document: Document | None, report: FileReport) -> None:
    """Append a file's result; a copy of a file already read is flagged, not dropped."""
    if document is not None:
        twin = next((d.name for d in reading.documents if d.sha256 == document.sha256), None)
        if twin is not None:
            note = f"same content as {twin}, so its passages count twice"
            report = replace(report, warnings=(*report.warnings, note))
        reading.documents.append(document)
    reading.reports.append(report)


def _read_path(
    path: Path, name: str, limit: int, choices: Choices | None, interviewers: Interviewers | None
) -> tuple[Document | None, FileReport]:
    """Read a file from disk; its type and size are checked before its bytes are loaded."""
    kind = FILE_KINDS.get(_extension(name), "")
    if kind == "recording":  # hashed in blocks from disk, never loaded whole
        return read_recording(name, path, _size_of(path))
    size = 0
    try:
        size = path.stat().st_size
        _check_kind(name)
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


def folder_files(folder: Path) -> list[Path]:
    """Supported files (recordings too) under ``folder``, in a stable order; hidden files
    and folders skipped."""
    found: list[Path] = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found.extend(
            Path(root, f)
            for f in sorted(files)
            if not f.startswith((".", "~$")) and _extension(f) in FILE_KINDS
        )
    return found


def _check_kind(name: str) -> None:
    extension = _extension(name)
    if extension in FILE_KINDS:
        return
    supported = ", ".join(SUPPORTED_EXTENSIONS)
    if extension in _ADVICE:
        raise InputError(f"{name}: {_ADVICE[extension]}.")
    if not extension:
        raise InputError(
            f"{name} has no file extension, so its type is unknown. "
            f"Rename it with one of: {supported}."
        )
    raise InputError(f"{name}: {extension} files are not supported. Supported types: {supported}.")


def check_size(name: str, size: int, limit: int) -> None:
    """InputError, saying what to do, when a file of ``size`` bytes is over ``limit``."""
    if size > limit:
        raise InputError(
            f"{name} is {_size(size)}, over the {_size(limit)} limit per file. Split it into "
            "smaller files, or raise the limit with PERSONA_MAX_FILE_MB."
        )


def _limit(max_bytes: int | None) -> int:
    return load_settings().max_file_bytes if max_bytes is None else max_bytes


def _extension(name: str) -> str:
    return os.path.splitext(name)[1].lower()


def _size(n: int) -> str:
    if n < 1024:
        return f"{n} bytes"
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} KB"
    return f"{n / (1024 * 1024):.1f} MB"

"""Read research files into passages that remember where they came from.

Supported: CSV/TSV, JSON, JSON Lines, TXT, Markdown, PDF (text layer) and DOCX. Every input
gets a :class:`FileReport`; a file that cannot be read gets an error that says what to do and
never stops the others. Nothing is truncated: a file over the size limit is refused whole.

Locators are 1-based:

- CSV/TSV: ``row N``, the row a spreadsheet shows: the header is row 1, the first answer row 2.
  A quoted cell spanning several lines stays in its row. A row becomes ``Column: value; ...``
  with empty cells left out.
- JSON: ``record N`` (position in a list) or ``record KEY`` (an object of records); nested
  values are flattened to ``a.b: value``.
- JSON Lines, TXT, Markdown: ``line N`` as an editor numbers it; one passage per non-empty line.
- PDF: ``page N``. DOCX: ``paragraph N`` (counting paragraphs that have text) and
  ``table T, row R`` (cells joined with `` | ``).

Text is decoded by its BOM (UTF-8, UTF-16 LE/BE), else as UTF-8, else as the code page
charset-normalizer detects, with Windows-1252 preferred when it fits as well.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from itertools import islice
from pathlib import Path
from typing import Any

import charset_normalizer
import docx
from docx.table import Table
from pypdf import PdfReader

from persona.documents import Document, Passage
from persona.errors import InputError
from persona.settings import Settings
from persona.tokens import estimate_tokens

KINDS: dict[str, str] = {
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
}
"""File extension → document kind, for every type Persona reads."""

SUPPORTED_EXTENSIONS: tuple[str, ...] = tuple(KINDS)

_SAVE_AS_CSV = (
    "Excel workbooks are not read directly; save the sheet as CSV "
    "(File → Save As → CSV UTF-8) and upload that"
)
_ADVICE = {
    ".xlsx": _SAVE_AS_CSV,
    ".xlsm": _SAVE_AS_CSV,
    ".xls": _SAVE_AS_CSV,
    ".ods": "spreadsheets are not read directly; save the sheet as CSV and upload that",
    ".numbers": "Numbers files are not read directly; export the sheet as CSV and upload that",
    ".doc": "old Word documents (.doc) are not read; save it as .docx "
    "(File → Save As → Word Document) and upload that",
    ".rtf": "RTF is not read; save it as .docx or .txt and upload that",
    ".pages": "Pages files are not read directly; export it as Word (.docx) and upload that",
}

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_LEGACY = [
    *(f"cp{n}" for n in range(1250, 1259)),
    *("cp874", "cp932", "cp949", "gb18030", "big5", "koi8_r", "latin_1"),
]
"""Code pages that spreadsheets and word processors write. DOS and rare code pages are left
out: they fit short Western text by accident (cp775 reads "Zoë" as "Zoļ")."""
_HIGH_BYTE = re.compile(rb"[\x80-\xff]")
_EVIDENCE = 8
"""Fewer non-ASCII bytes than this are too few to detect a code page from."""
_DELIMITERS = ",;\t|"
_ONE_COLUMN = "\0"
"""A delimiter no real text contains, to read a file with a single column."""
_OTHER_BREAKS = "\v\f\x1c\x1d\x1e\x85\u2028\u2029"
"""Characters ``str.splitlines`` splits at besides CR and LF."""
_SNIFF_CHARS = 64 * 1024
_NEWLINE = re.compile(r"\r\n|\r|\n")
_SHOWN = 5
"""How many row or line numbers a warning lists before saying "and N more"."""

_Parsed = tuple[list[Passage], list[str]]


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
    """Estimated with :func:`persona.tokens.estimate_tokens`."""
    encoding: str = ""
    """The text encoding used (text formats only), as a Python codec name."""
    warnings: tuple[str, ...] = ()
    error: str = ""
    """Why the file was not read and what to do; empty when ``ok``."""


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


def read_file(
    name: str, data: bytes, max_bytes: int | None = None
) -> tuple[Document | None, FileReport]:
    """Read one file's bytes. A file that cannot be read gives ``None`` and a report with the error.

    ``max_bytes`` defaults to ``Settings().max_file_bytes`` (``PERSONA_MAX_FILE_MB``).
    """
    kind = KINDS.get(_extension(name), "")
    encoding = ""
    try:
        _check_kind(name)
        _check_size(name, len(data), _limit(max_bytes))
        if not data or data.isspace():
            raise InputError(
                f"{name} is empty. Check that the export or download finished, "
                "then upload the file again."
            )
        if kind in _BINARY_READERS:
            passages, warnings = _BINARY_READERS[kind](name, data)
        else:
            text, encoding = decode_text(name, data)
            try:
                passages, warnings = _TEXT_READERS[kind](name, text)
            except RecursionError as exc:  # JSON nested thousands of levels deep
                raise InputError(
                    f"{name} is nested too deeply to read. Flatten the records, or export "
                    "them as CSV, and upload that."
                ) from exc
        if not passages:
            raise InputError(f"{name} has no text in it. Check that it is the right file.")
    except InputError as exc:
        return None, FileReport(name, ok=False, kind=kind, size_bytes=len(data), error=str(exc))
    document = Document(name, kind, hashlib.sha256(data).hexdigest(), len(data), passages)
    report = FileReport(
        name,
        ok=True,
        kind=kind,
        size_bytes=len(data),
        rows=len(passages),
        characters=document.characters,
        tokens=sum(estimate_tokens(p.text) for p in passages),
        encoding=encoding,
        warnings=tuple(warnings),
    )
    return document, report


def read_files(items: Iterable[tuple[str, bytes]], max_bytes: int | None = None) -> Reading:
    """Read uploaded ``(name, bytes)`` pairs; one report per item, in order."""
    limit = _limit(max_bytes)
    reading = Reading()
    for name, data in items:
        _add(reading, *read_file(name, data, limit))
    return reading


def read_paths(paths: Sequence[Path | str], max_bytes: int | None = None) -> Reading:
    """Read files and folders (recursively: supported types only, hidden files skipped).

    Files found in a folder are named by their path relative to it. A missing path, an
    unreadable file or a folder with nothing to read gets a report with the error.
    """
    limit = _limit(max_bytes)
    reading = Reading()
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files = _folder_files(path)
            if not files:
                error = (
                    f"{raw}: the folder has no files Persona can read "
                    f"({', '.join(SUPPORTED_EXTENSIONS)})."
                )
                _add(reading, None, FileReport(str(raw), ok=False, error=error))
            for file in files:
                _add(reading, *_read_path(file, file.relative_to(path).as_posix(), limit))
        elif path.exists():
            _add(reading, *_read_path(path, path.name, limit))
        else:
            error = f"{raw}: no such file or folder. Check the path."
            _add(reading, None, FileReport(str(raw), ok=False, error=error))
    return reading


def decode_text(name: str, data: bytes) -> tuple[str, str]:
    """The text and the codec that decodes it: a BOM, else UTF-8, else a detected code page."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(codec), codec
            except UnicodeDecodeError as exc:
                raise _unreadable(name) from exc
    if b"\0" in data:
        raise InputError(
            f"{name} does not look like a text file: it contains binary data. "
            "Check that it is the right file; if it is text, save it as UTF-8 and upload that."
        )
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        encoding = _guess_encoding(data)
    if encoding is None:
        raise _unreadable(name)
    return data.decode(encoding), encoding


def _guess_encoding(data: bytes) -> str | None:
    """Windows-1252 if it reads the bytes as well as any code page, else the detector's guess.

    A few non-ASCII bytes are no evidence to detect from, so cp1252 (what Western spreadsheets
    export) is taken if it decodes them. Otherwise charset-normalizer ranks code pages; short
    Western text fits several about equally and it often picks Central European cp1250
    ("Lefčvre" for "Lefèvre"), so cp1252 wins a tie.
    """
    if len(list(islice(_HIGH_BYTE.finditer(data), _EVIDENCE))) < _EVIDENCE:
        try:
            data.decode("cp1252")
            return "cp1252"
        except UnicodeDecodeError:
            pass
    matches = charset_normalizer.from_bytes(data, cp_isolation=_LEGACY)
    best = matches.best()
    if best is None:
        return None
    western = any(
        "cp1252" in m.could_be_from_charset
        and m.percent_chaos <= best.percent_chaos
        and m.percent_coherence >= best.percent_coherence
        for m in matches
    )
    return "cp1252" if western else best.encoding


def _unreadable(name: str) -> InputError:
    return InputError(
        f"{name}: the text encoding could not be recognised. Save the file as UTF-8 "
        "(in Excel: File → Save As → CSV UTF-8) and upload it again."
    )


# --- CSV / TSV ----------------------------------------------------------------


class _QuotingError(Exception):
    """A strict read hit broken quoting; the message is the warning for the lenient reread."""


def _read_csv(name: str, text: str, candidates: str = _DELIMITERS) -> _Parsed:
    delimiter = _sniff_delimiter(text, candidates)
    try:
        return _csv_passages(name, text, delimiter, strict=True)
    except _QuotingError as problem:
        passages, warnings = _csv_passages(name, text, delimiter, strict=False)
        return passages, [str(problem), *warnings]


def _csv_passages(name: str, text: str, delimiter: str, strict: bool) -> _Parsed:
    """One passage per row with text, streamed: rows are not kept, only their passages."""
    rows = enumerate(csv.reader(_physical_lines(text), delimiter=delimiter, strict=strict), 1)
    passages: list[Passage] = []
    empty: list[int] = []
    wide: list[int] = []
    number = 0
    try:
        first = next((row for row in rows if _has_text(row[1])), None)
        if first is None:
            return [], []
        number, cells = first
        header = [" ".join(c.split()) or f"column {i}" for i, c in enumerate(cells, 1)]
        width = len(header)
        for number, cells in rows:
            labels = header
            if len(cells) > width:
                wide.append(number)
                labels = header + [f"column {i}" for i in range(width + 1, len(cells) + 1)]
            pairs = zip(labels, map(str.strip, cells), strict=False)  # a short row has fewer cells
            line = "; ".join([f"{k}: {v}" for k, v in pairs if v])
            if "\r" in line:
                line = line.replace("\r\n", "\n")
            if line:
                passages.append(Passage(name, f"row {number}", line))
            else:
                empty.append(number)
    except csv.Error as exc:
        raise _quoting_error(name, number + 1, exc, strict) from exc
    if not passages:
        raise InputError(
            f"{name} has a header row but no answers below it. "
            "Check that the export included the responses."
        )
    warnings = []
    if empty:
        warnings.append(f"{_count(len(empty), 'empty row')} skipped ({_numbers('row', empty)})")
    if wide:
        warnings.append(
            f"{_count(len(wide), 'row')} {'has' if len(wide) == 1 else 'have'} more cells than "
            f"the header ({_numbers('row', wide)}); the extra cells were kept as 'column N'"
        )
    return passages, warnings


def _quoting_error(name: str, row: int, exc: csv.Error, strict: bool) -> Exception:
    """A strict read's error becomes a warning for a lenient reread; a lenient one, an error."""
    if not strict:
        return InputError(
            f'{name}: row {row} could not be read ({exc}). A quote (") that opens and never '
            "closes usually causes this; fix it and upload the file again."
        )
    if "end of data" in str(exc):
        return _QuotingError(
            f'row {row} opens a quote (") that never closes, so the rest of the file was read '
            "into one cell; fix the quote and upload the file again"
        )
    return _QuotingError(
        f'row {row} has a stray quote (") and was read as well as possible ({exc})'
    )


def _sniff_delimiter(text: str, candidates: str) -> str:
    """The candidate that splits most rows into as many cells as the header has.

    A delimiter counts only if the header splits into two or more cells and at least half
    the rows match it; ties go to the earlier candidate. None counts: one column.
    """
    sample = text[:_SNIFF_CHARS]
    best, best_score = _ONE_COLUMN, 0
    for delimiter in candidates:
        rows = [r for r in csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter) if r]
        if len(sample) < len(text):
            rows = rows[:-1]
        if not rows or len(rows[0]) < 2:
            continue
        score = sum(len(r) == len(rows[0]) for r in rows)
        if score * 2 >= len(rows) + 1 and score > best_score:
            best, best_score = delimiter, score
    return best


def _physical_lines(text: str) -> Iterable[str]:
    """Lines with their endings, split only at CR and LF as CSV requires.

    ``str.splitlines`` is faster but also splits at form feeds, U+2028 and a few more, so it
    is used only when the text has none of those.
    """
    if any(c in text for c in _OTHER_BREAKS):
        return io.StringIO(text, newline="")
    return text.splitlines(keepends=True)


def _has_text(cells: list[str]) -> bool:
    return any(c.strip() for c in cells)


# --- JSON / JSON Lines --------------------------------------------------------


def _read_json(name: str, text: str) -> _Parsed:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        if exc.msg == "Extra data":
            passages, warnings = _read_jsonl(name, text)
            return passages, [
                "it holds one JSON value per line, so it was read as JSON Lines",
                *warnings,
            ]
        raise InputError(
            f"{name} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}). "
            "Fix it there, or export the file again."
        ) from exc
    passages: list[Passage] = []
    empty: list[str] = []
    for locator, record in _records(value):
        if line := _record_text(record):
            passages.append(Passage(name, locator, line))
        else:
            empty.append(locator)
    warnings = []
    if empty:
        shown = ", ".join(empty[:_SHOWN]) + _more(len(empty))
        warnings.append(f"{_count(len(empty), 'empty record')} skipped ({shown})")
    return passages, warnings


def _records(value: Any) -> list[tuple[str, Any]]:
    """(locator, record) pairs: a list's items, an object of objects' values, else the value.

    An object whose only value is a list (``{"responses": [...]}``) holds that list's records.
    """
    if isinstance(value, dict):
        if value and all(isinstance(v, dict) for v in value.values()):
            return [(f"record {key}", record) for key, record in value.items()]
        if len(value) == 1 and isinstance(only := next(iter(value.values())), list):
            value = only
    if isinstance(value, list):
        return [(f"record {i}", record) for i, record in enumerate(value, 1)]
    return [("record 1", value)]


def _record_text(record: Any) -> str:
    return "; ".join(f"{key}: {text}" if key else text for key, text in _flatten(record, ""))


def _flatten(value: Any, key: str) -> Iterator[tuple[str, str]]:
    """(dotted key, text) pairs; lists of plain values are joined with commas, 1-based."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _flatten(v, f"{key}.{k}" if key else str(k))
    elif isinstance(value, list) and any(isinstance(v, dict | list) for v in value):
        for i, v in enumerate(value, 1):
            yield from _flatten(v, f"{key}.{i}" if key else str(i))
    elif isinstance(value, list):
        if text := ", ".join(s for s in map(_scalar, value) if s):
            yield key, text
    elif text := _scalar(value):
        yield key, text


def _scalar(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip()


def _read_jsonl(name: str, text: str) -> _Parsed:
    passages: list[Passage] = []
    bad: list[str] = []
    empty: list[int] = []
    for number, line in enumerate(_NEWLINE.split(text), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            bad.append(f"line {number} ({exc.msg})")
            continue
        if record_text := _record_text(record):
            passages.append(Passage(name, f"line {number}", record_text))
        else:
            empty.append(number)
    if bad and not passages:
        raise InputError(
            f"{name}: no line is valid JSON ({bad[0]}). JSON Lines files hold one JSON "
            "record per line; check the export."
        )
    warnings = []
    if bad:
        verb = "is" if len(bad) == 1 else "are"
        shown = ", ".join(bad[:_SHOWN]) + _more(len(bad))
        warnings.append(f"{_count(len(bad), 'line')} {verb} not valid JSON and skipped: {shown}")
    if empty:
        warnings.append(f"{_count(len(empty), 'empty record')} skipped ({_numbers('line', empty)})")
    return passages, warnings


# --- Plain text and Markdown --------------------------------------------------


def _read_lines(name: str, text: str) -> _Parsed:
    passages = [
        Passage(name, f"line {number}", line.strip())
        for number, line in enumerate(_NEWLINE.split(text), 1)
        if line and not line.isspace()
    ]
    return passages, []


# --- PDF and Word -------------------------------------------------------------


def _read_pdf(name: str, data: bytes) -> _Parsed:
    try:
        reader = PdfReader(io.BytesIO(data))
        locked = reader.is_encrypted and not reader.decrypt("")
        pages = [] if locked else [page.extract_text() or "" for page in reader.pages]
    except Exception as exc:  # pypdf raises many kinds of error on a damaged file
        raise InputError(
            f"{name} could not be read as a PDF ({exc}). Open it and export or print it "
            "to PDF again, then upload that."
        ) from exc
    if locked:
        raise InputError(
            f"{name} is password-protected. Save a copy without the password and upload that."
        )
    passages: list[Passage] = []
    blank: list[int] = []
    for number, page in enumerate(pages, 1):
        if text := "\n".join(s for s in map(str.strip, page.splitlines()) if s):
            passages.append(Passage(name, f"page {number}", text))
        else:
            blank.append(number)
    if not passages:
        raise InputError(
            f"{name} has no text layer (it is probably scanned images). Run it through OCR, "
            "or paste the text into a .txt file, and upload that."
        )
    warnings = []
    if blank:
        warnings.append(
            f"{_count(len(blank), 'page')} without text skipped ({_numbers('page', blank)}); "
            "scanned pages need OCR first"
        )
    return passages, warnings


def _read_docx(name: str, data: bytes) -> _Parsed:
    try:
        blocks = list(docx.Document(io.BytesIO(data)).iter_inner_content())
    except Exception as exc:  # a damaged or foreign ZIP fails in zipfile, lxml or python-docx
        raise InputError(
            f"{name} could not be opened as a Word document ({exc}). If it is an old .doc "
            "file, save it as .docx (File → Save As → Word Document) and upload that."
        ) from exc
    passages: list[Passage] = []
    paragraphs = tables = 0
    for block in blocks:
        if isinstance(block, Table):
            tables += 1
            for number, row in enumerate(block.rows, 1):
                if cells := _cell_texts(row.cells):
                    locator = f"table {tables}, row {number}"
                    passages.append(Passage(name, locator, " | ".join(cells)))
        elif text := block.text.strip():
            paragraphs += 1
            passages.append(Passage(name, f"paragraph {paragraphs}", text))
    return passages, []


def _cell_texts(cells: Sequence[Any]) -> list[str]:
    """Non-empty cell texts; a merged cell (repeated once per column it spans) counts once."""
    texts = []
    previous = None
    for cell in cells:
        if cell is not previous and (text := cell.text.strip()):
            texts.append(text)
        previous = cell
    return texts


# --- Helpers --------------------------------------------------------------------


_TEXT_READERS: dict[str, Callable[[str, str], _Parsed]] = {
    "csv": _read_csv,
    "tsv": partial(_read_csv, candidates="\t,;|"),
    "json": _read_json,
    "jsonl": _read_jsonl,
    "text": _read_lines,
    "markdown": _read_lines,
}
_BINARY_READERS: dict[str, Callable[[str, bytes], _Parsed]] = {
    "pdf": _read_pdf,
    "docx": _read_docx,
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


def _read_path(path: Path, name: str, limit: int) -> tuple[Document | None, FileReport]:
    """Read a file from disk; its type and size are checked before its bytes are loaded."""
    kind = KINDS.get(_extension(name), "")
    size = 0
    try:
        size = path.stat().st_size
        _check_kind(name)
        _check_size(name, size, limit)
        data = path.read_bytes()
    except InputError as exc:
        return None, FileReport(name, ok=False, kind=kind, size_bytes=size, error=str(exc))
    except OSError as exc:
        error = f"{name} could not be opened ({exc.strerror or exc}). Check its permissions."
        return None, FileReport(name, ok=False, kind=kind, size_bytes=size, error=error)
    return read_file(name, data, limit)


def _folder_files(folder: Path) -> list[Path]:
    """Supported files under ``folder``, in a stable order; hidden files and folders skipped."""
    found: list[Path] = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found.extend(
            Path(root, f)
            for f in sorted(files)
            if not f.startswith((".", "~$")) and _extension(f) in KINDS
        )
    return found


def _check_kind(name: str) -> None:
    extension = _extension(name)
    if extension in KINDS:
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


def _check_size(name: str, size: int, limit: int) -> None:
    if size > limit:
        raise InputError(
            f"{name} is {_size(size)}, over the {_size(limit)} limit per file. Split it into "
            "smaller files, or raise the limit with PERSONA_MAX_FILE_MB."
        )


def _limit(max_bytes: int | None) -> int:
    return Settings().max_file_bytes if max_bytes is None else max_bytes


def _extension(name: str) -> str:
    return os.path.splitext(name)[1].lower()


def _size(n: int) -> str:
    if n < 1024:
        return f"{n} bytes"
    if n < 1024 * 1024:
        return f"{n / 1024:.1f} KB"
    return f"{n / (1024 * 1024):.1f} MB"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _numbers(noun: str, numbers: list[int]) -> str:
    """``row 4`` or ``rows 4, 9, 12`` (the first few, then how many more)."""
    label = noun if len(numbers) == 1 else f"{noun}s"
    return f"{label} {', '.join(map(str, numbers[:_SHOWN]))}{_more(len(numbers))}"


def _more(total: int) -> str:
    return f" and {total - _SHOWN} more" if total > _SHOWN else ""

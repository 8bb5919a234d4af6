"""Text decoding: a BOM, else UTF-8, else the code page charset-normalizer detects."""

from __future__ import annotations

import codecs
import re
from itertools import islice

import charset_normalizer

from persona.core.errors import InputError

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


_CHAOS_MARGIN = 5.0
"""Percent of "chaos" by which a code page may trail the cleanest one and still win on coherence."""


_EVIDENCE = 8
"""Fewer non-ASCII bytes than this are too few to detect a code page from."""


MIXED = "utf-8+cp1252"
"""The codec name :func:`decode_text` reports for UTF-8 text with some Windows-1252 lines."""


_SIGNATURES = (
    (b"PK\x03\x04", "a ZIP archive (an Excel workbook, a Word document or another archive)"),
    (b"%PDF-", "a PDF"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Office file (.xls or .doc)"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"SQLite format 3\0", "an SQLite database"),
)
"""How files that are not text begin, to say what a renamed file really is."""


_UTF16_SAMPLE = 4096


def decode_text(name: str, data: bytes) -> tuple[str, str]:
    """The text and the codec that decodes it: a BOM, else UTF-8, else a detected code page.

    UTF-16 without a BOM is recognised by its zero bytes. UTF-8 text with a few lines in
    Windows-1252 (two exports pasted together) is read line by line; its codec is
    :data:`MIXED` (see :func:`encoding_note`).
    """
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(codec), codec
            except UnicodeDecodeError as exc:
                raise _unreadable(name) from exc
    if b"\0" in data:
        utf16 = _utf16_without_bom(data)
        if utf16 is None:
            raise _binary(name, data)
        return data.decode(utf16), utf16
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    mixed = _mostly_utf8(data)
    if mixed is not None:
        return mixed, MIXED
    encoding = _guess_encoding(data)
    if encoding is None:
        raise _unreadable(name)
    return data.decode(encoding), encoding


def encoding_note(codec: str) -> str | None:
    """A warning to show about how a file was decoded, if any."""
    if codec == MIXED:
        return (
            "most of the file is UTF-8 but some lines are in another encoding (read as "
            "Windows-1252); check accented letters in those lines"
        )
    return None


def _binary(name: str, data: bytes) -> InputError:
    found = next((what for magic, what in _SIGNATURES if data.startswith(magic)), None)
    if found:
        return InputError(
            f"{name} is {found} with a text-file name, not text. Check that it is the right "
            "file; upload it under its real type, or open it and save it as CSV UTF-8 or "
            "plain text, and upload that."
        )
    return InputError(
        f"{name} does not look like a text file: it contains binary data. "
        "Check that it is the right file; if it is text, save it as UTF-8 and upload that."
    )


def _utf16_without_bom(data: bytes) -> str | None:
    """``utf-16-le``/``-be`` when the zero bytes sit where UTF-16 text puts them, else None.

    Text in Latin, Cyrillic, Greek... scripts has a zero byte in every other position; a
    binary file has zeros scattered anywhere.
    """
    sample = data[:_UTF16_SAMPLE]
    if len(data) % 2 or len(sample) < 4:
        return None
    even = sample[0::2].count(0) / (len(sample) // 2)
    odd = sample[1::2].count(0) / (len(sample) // 2)
    if odd > 0.3 and even < 0.05:
        codec = "utf-16-le"
    elif even > 0.3 and odd < 0.05:
        codec = "utf-16-be"
    else:
        return None
    try:
        text = data.decode(codec)
    except UnicodeDecodeError:
        return None
    controls = sum(1 for c in text[:_UTF16_SAMPLE] if c < " " and c not in "\t\n\r")
    return codec if controls == 0 else None


def _mostly_utf8(data: bytes) -> str | None:
    """The text when most non-ASCII lines are UTF-8 and the others read as Windows-1252.

    A multi-byte UTF-8 sequence almost never occurs by accident in a code page, so a line
    that decodes as UTF-8 is UTF-8; the rest are taken as Windows-1252 (what Western
    spreadsheets write). Shift-JIS and other multi-byte code pages fail Windows-1252 on
    most lines and go to detection instead.
    """
    lines = data.splitlines(keepends=True)
    decoded: list[str] = []
    utf8 = other = 0
    for line in lines:
        try:
            decoded.append(line.decode("utf-8"))
            utf8 += not line.isascii()
        except UnicodeDecodeError:
            try:
                decoded.append(line.decode("cp1252"))
            except UnicodeDecodeError:
                return None
            other += 1
    if utf8 == 0 or other == 0 or utf8 < other:
        return None
    return "".join(decoded)


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
    if western:
        return "cp1252"
    # Double-byte code pages decode each other's bytes without errors: Shift-JIS read as
    # Korean cp949 is as "clean" as Japanese but makes no words. Among the nearly clean,
    # the one whose text reads as a language wins.
    clean = [m for m in matches if m.percent_chaos <= best.percent_chaos + _CHAOS_MARGIN]
    return str(max(clean, key=lambda m: m.percent_coherence).encoding)


def _unreadable(name: str) -> InputError:
    return InputError(
        f"{name}: the text encoding could not be recognised. Save the file as UTF-8 "
        "(in Excel: File → Save As → CSV UTF-8) and upload it again."
    )

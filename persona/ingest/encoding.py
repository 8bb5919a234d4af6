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


_EVIDENCE = 8
"""Fewer non-ASCII bytes than this are too few to detect a code page from."""


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

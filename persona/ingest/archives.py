"""ZIP-based files (Excel workbooks, Word documents) checked before they are unpacked.

A .docx or .xlsx is a ZIP of XML parts. A "zip bomb" is a small archive whose parts unpack
to gigabytes (a 2 MB .docx can hold 4 GB of XML): unpacking or parsing it would take all the
memory of the machine. :func:`check_archive` reads only the archive's table of contents
(its central directory, well under a millisecond for any size) and refuses an archive
whose parts would unpack past the limits below, before any part is decompressed.

The sizes checked are the ones the archive declares. Python's :mod:`zipfile`, which
python-docx and openpyxl read parts with, never returns more bytes than a part declares
(and fails the CRC check if the data disagrees), so a part cannot unpack past what was
checked here.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

from persona.core.errors import InputError

MAX_MEMBERS = 10_000
MAX_UNPACKED_BYTES = 256 * 1024 * 1024
"""All parts together, unpacked. Real interview documents and survey workbooks hold a few
MB of XML (a 50 MB workbook unpacks to a few hundred MB at most: its sheets are packed
about ten times); parsing XML takes several times its size in memory."""
MAX_RATIO = 100
"""Unpacked size over packed size, for any part of :data:`RATIO_FROM_BYTES` or more.
Office XML packs 5-20 times; bombs pack thousands of times."""
RATIO_FROM_BYTES = 1024 * 1024
"""Small parts may pack very well (a blank style sheet), so only larger ones are rated."""


@dataclass(frozen=True)
class ArchiveSummary:
    """What the table of contents says: how many parts and how large they unpack."""

    members: int
    packed_bytes: int
    unpacked_bytes: int


def check_archive(
    name: str,
    data: bytes,
    kind: str,
    *,
    max_unpacked: int = MAX_UNPACKED_BYTES,
    max_ratio: float = MAX_RATIO,
    max_members: int = MAX_MEMBERS,
) -> ArchiveSummary:
    """Raise InputError unless ``data`` is a ZIP archive that is safe to unpack.

    ``kind`` names the format for the message, e.g. "an Excel workbook".
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise InputError(
            f"{name} could not be opened as {kind}: the file is damaged, or is another kind "
            "of file with the wrong extension. Open it in the program that made it, save it "
            "again, and upload the new file."
        ) from exc
    unpacked = sum(member.file_size for member in members)
    packed = sum(member.compress_size for member in members)
    if len(members) > max_members:
        raise _refused(name, kind, f"holds {len(members):,} parts (at most {max_members:,})")
    for member in members:
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size >= RATIO_FROM_BYTES and ratio > max_ratio:
            raise _refused(
                name,
                kind,
                f"would unpack to {_mb(unpacked)}: one part grows {ratio:,.0f} times "
                f"(real files grow at most about {max_ratio:g} times)",
            )
    if unpacked > max_unpacked:
        raise _refused(name, kind, f"would unpack to {_mb(unpacked)} (at most {_mb(max_unpacked)})")
    return ArchiveSummary(len(members), packed, unpacked)


def _refused(name: str, kind: str, reason: str) -> InputError:
    return InputError(
        f"{name} {reason}, far more than {kind} holds: it may be damaged or built to exhaust "
        "memory, so it was not opened. Open it in the program that made it, save it again, "
        "and upload the new file."
    )


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):,.0f} MB"

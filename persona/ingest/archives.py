"""ZIP-based files (Excel workbooks, Word documents) checked before they are unpacked.

A small file can unpack to gigabytes (a "zip bomb"). Before a reader opens an archive,
:func:`check_archive` reads its table of contents, without unpacking anything, and refuses
one whose contents would be far larger than any real workbook or document.
"""

from __future__ import annotations

import io
import zipfile

from persona.core.errors import InputError

MAX_MEMBERS = 10_000
MAX_UNPACKED_BYTES = 1024**3
"""No real workbook or document unpacks to more than this."""
MAX_RATIO = 200
"""Unpacked size over packed size above which an archive is refused (XML packs ~10-20×)."""
_SMALL = 64 * 1024 * 1024
"""Archives unpacking to less than this are not held to the ratio."""


def check_archive(name: str, data: bytes, kind: str) -> None:
    """Raise InputError when ``data`` is not a ZIP archive or would unpack too big.

    ``kind`` names the format for the message, e.g. "an Excel workbook".
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise InputError(
            f"{name} could not be opened as {kind} ({exc}). Open it in the program that made "
            "it, save it again, and upload the new file."
        ) from exc
    unpacked = sum(member.file_size for member in members)
    too_big = unpacked > MAX_UNPACKED_BYTES or (
        unpacked > _SMALL and unpacked > MAX_RATIO * max(len(data), 1)
    )
    if len(members) > MAX_MEMBERS or too_big:
        raise InputError(
            f"{name} would unpack to {unpacked / 1024**2:,.0f} MB in {len(members):,} parts, "
            f"far more than {kind} holds: it may be damaged or built to exhaust memory. "
            "Open it in the program that made it, save it again, and upload the new file."
        )

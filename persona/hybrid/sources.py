"""The research files on hand must be the run's files: same fingerprints, none missing.

Redaction learns names from the files and Claude's quotes are checked against them, so
refining with only some of the files, or other files, would let names through and check
quotes against the wrong text.
"""

from __future__ import annotations

from collections.abc import Sequence

from persona.core.documents import Document
from persona.core.errors import InputError
from persona.core.records import Run


class WrongFiles(InputError):
    """The uploaded files are not the ones the run's drafts were made from."""


def require_run_files(run: Run, documents: Sequence[Document]) -> None:
    """Raise :class:`WrongFiles`, naming the files, unless ``documents`` are the run's files."""
    if not run.files:
        return
    uploaded = {d.sha256: d.name for d in documents}
    expected = {f.sha256: f.name for f in run.files}
    missing = sorted(name for digest, name in expected.items() if digest not in uploaded)
    extra = sorted(name for digest, name in uploaded.items() if digest not in expected)
    if not missing and not extra:
        return
    problems = []
    if missing:
        problems.append("missing or changed: " + ", ".join(missing))
    if extra:
        problems.append("not part of this run: " + ", ".join(extra))
    raise WrongFiles(
        "These are not the files the drafts were made from ("
        + "; ".join(problems)
        + "). Nothing was sent. Upload exactly the run's files again (unchanged), or draft "
        "new personas from the files you have."
    )

"""Studies as places on this machine: research files added once (copied, read, indexed for
search) and read again from their copies by every page, the CLI and a notebook.

``adding`` copies and reads new files into a study; ``reading`` reads a study's copies back
into one :class:`~persona.ingest.Reading` (cached by the files' fingerprints and the choices
they are read with). The tables and folders themselves are :mod:`persona.history.studies`.
"""

from persona.studydata.adding import Added, add_files
from persona.studydata.reading import read_study, reindex, run_reading

__all__ = ["Added", "add_files", "read_study", "reindex", "run_reading"]

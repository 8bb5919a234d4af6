"""The Python API: the one door every face uses (the dashboard, the ``persona`` command and a
notebook).

>>> import persona
>>> study = persona.read("interviews/", "survey.csv")
>>> job = persona.generate(study, model="llama3.2:3b", count=3)
>>> for event in job:
...     print(event.message)
>>> persona.to_dataframe(job.run).head()

The dashboard and the ``persona`` command read, plan, generate, resume, export and open
History through these same calls: reading reports every file, plans fit the model's context,
every run is saved to History as it goes, every quote is checked against the data.

The calls a notebook needs are here, at the top; the rest of the door is grouped by what it is
about: :mod:`persona.api.reading`, :mod:`~persona.api.studies`, :mod:`~persona.api.runs`,
:mod:`~persona.api.exports`, :mod:`~persona.api.edits`, :mod:`~persona.api.chat`,
:mod:`~persona.api.compare`, :mod:`~persona.api.hybrid`, :mod:`~persona.api.engines`,
:mod:`~persona.api.settings`, :mod:`~persona.api.recordings`, :mod:`~persona.api.verdicts`,
:mod:`~persona.api.display` and :mod:`~persona.api.jobs`. The records they take and return are
in :mod:`persona.types`; every error is a :class:`persona.core.errors.PersonaError`.
"""

from __future__ import annotations

from persona.api.edits import Edited, edit
from persona.api.engines import default_engine
from persona.api.exports import ExportedFile, export, export_file, save_export, to_dataframe
from persona.api.reading import read, read_sample, read_uploads
from persona.api.runs import (
    GenerationJob,
    can_resume,
    find_run,
    generate,
    open_history,
    plan,
    resume,
    study_passages,
    verify,
)
from persona.api.studies import (
    add_to_study,
    create_study,
    delete_study,
    remove_from_study,
    rename_study,
    run_reading,
    search_study,
    set_study_choices,
    studies,
    study,
    study_reading,
)
from persona.types import Added, ClaimEdit, PersonaEdit, SearchHit, Study, StudyListing

__all__ = [
    "Added",
    "ClaimEdit",
    "Edited",
    "ExportedFile",
    "GenerationJob",
    "PersonaEdit",
    "SearchHit",
    "Study",
    "StudyListing",
    "add_to_study",
    "can_resume",
    "create_study",
    "default_engine",
    "delete_study",
    "edit",
    "export",
    "export_file",
    "find_run",
    "generate",
    "open_history",
    "plan",
    "read",
    "read_sample",
    "read_uploads",
    "remove_from_study",
    "rename_study",
    "resume",
    "run_reading",
    "save_export",
    "search_study",
    "set_study_choices",
    "studies",
    "study",
    "study_passages",
    "study_reading",
    "to_dataframe",
    "verify",
]

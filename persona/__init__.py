"""Persona: evidence-backed UX personas from research data, made on this machine.

The Python API (see :mod:`persona.api`)::

    import persona
    study = persona.read("interviews/", "survey.csv")
    job = persona.generate(study, model="llama3.2:3b", count=3)
    for event in job:
        print(event.message)
    persona.to_dataframe(job.run)
"""

from persona.api import *  # noqa: F403 - the API is persona.api's __all__
from persona.api import __all__ as _api
from persona.core.errors import PersonaError

__version__ = "0.1.0"

__all__ = ["PersonaError", "__version__", *_api]

"""The records and constants Persona's faces and a notebook work with, in one place.

What :mod:`persona.api` takes and returns: readings and passages, runs and their personas,
studies, plans, progress events, settings, engine and hardware descriptions. Each lives in the
layer that owns it; this module is where the faces (the dashboard, the ``persona`` command)
find them, so they never reach into the layers below.
"""

from __future__ import annotations

from persona.chat.persona_chat import SEARCHED
from persona.core.context import ContextLine, QuoteContext
from persona.core.conversation import ChatTurn, Quote
from persona.core.coverage import READABLE_ROWS, Coverage
from persona.core.diff import CHOOSABLE_FIELDS, NO_CHANGES, FieldChange
from persona.core.documents import Document, Passage
from persona.core.overlap import Pair
from persona.core.progress import Progress, Stage
from persona.core.records import UNTITLED_STUDY, Kept, PersonaRecord, Run, Version
from persona.core.schema import CLAIM_SECTIONS, Claim, Evidence, Persona
from persona.core.setting_rules import ENGINES, MAX_PARALLEL, EngineKind
from persona.core.settings import ENGINE_NAMES, ON_THIS_MACHINE, Settings
from persona.core.settings import LABELS as ENGINE_LABELS
from persona.core.units import GB
from persona.engines.base import Engine
from persona.engines.builtin import DEMO_NOTE
from persona.engines.builtin_install import OLLAMA_DOWNLOAD, PACKAGES
from persona.engines.catalogue import TIERS, Fit
from persona.engines.hardware import Hardware
from persona.engines.inventory import ModelRow, OllamaStatus
from persona.engines.ollama import RunningModel
from persona.engines.registry import KEY_VARIABLES
from persona.engines.status import EngineStatus
from persona.generation.compare import MAX_CONTENDERS, Comparison, Contender, Entry
from persona.generation.edit import SECTION_NAMES, ClaimEdit, PersonaEdit
from persona.generation.language import DEFAULT_LANGUAGE, LANGUAGES
from persona.generation.pipeline import RESUMABLE
from persona.generation.planner import Plan
from persona.generation.references import MAX_CITED
from persona.generation.request import GenerationOptions, GenerationRequest
from persona.history.export import SECTION_TITLES
from persona.history.formats import FORMATS, MIME_TYPES, ExportFormat
from persona.history.formats import LABELS as FORMAT_LABELS
from persona.history.listing import RunListing
from persona.history.store import Store
from persona.history.studies import Study, StudyListing
from persona.history.study_search import SearchHit, Snippet
from persona.hybrid.cloud import DEFAULT_MODELS, DEFAULT_MODELS_AS_OF, ModelList
from persona.hybrid.gate import DEFAULT_THRESHOLD
from persona.hybrid.keys import KEY_VARIABLE
from persona.hybrid.preview import Preview
from persona.ingest import Interviewers, Reading
from persona.ingest.columns import Table
from persona.ingest.preview import Speakers
from persona.ingest.roles import ROLE_LABELS, ROLES, Choices, ColumnRole, TableChoice
from persona.ingest.sample import SAMPLE_DESCRIPTION, SAMPLE_STUDY
from persona.studydata import Added
from persona.transcribe import NO_SPEAKERS, Recording, Transcript

__all__ = [
    "CHOOSABLE_FIELDS",
    "CLAIM_SECTIONS",
    "DEFAULT_LANGUAGE",
    "DEFAULT_MODELS",
    "DEFAULT_MODELS_AS_OF",
    "DEFAULT_THRESHOLD",
    "DEMO_NOTE",
    "ENGINES",
    "ENGINE_LABELS",
    "ENGINE_NAMES",
    "FORMATS",
    "FORMAT_LABELS",
    "GB",
    "KEY_VARIABLE",
    "KEY_VARIABLES",
    "LANGUAGES",
    "MAX_CITED",
    "MAX_CONTENDERS",
    "MAX_PARALLEL",
    "MIME_TYPES",
    "NO_CHANGES",
    "NO_SPEAKERS",
    "OLLAMA_DOWNLOAD",
    "ON_THIS_MACHINE",
    "PACKAGES",
    "READABLE_ROWS",
    "RESUMABLE",
    "ROLES",
    "ROLE_LABELS",
    "SAMPLE_DESCRIPTION",
    "SAMPLE_STUDY",
    "SEARCHED",
    "SECTION_NAMES",
    "SECTION_TITLES",
    "TIERS",
    "UNTITLED_STUDY",
    "Added",
    "ChatTurn",
    "Choices",
    "Claim",
    "ClaimEdit",
    "ColumnRole",
    "Comparison",
    "Contender",
    "ContextLine",
    "Coverage",
    "Document",
    "Engine",
    "EngineKind",
    "EngineStatus",
    "Entry",
    "Evidence",
    "ExportFormat",
    "FieldChange",
    "Fit",
    "GenerationOptions",
    "GenerationRequest",
    "Hardware",
    "Interviewers",
    "Kept",
    "ModelList",
    "ModelRow",
    "OllamaStatus",
    "Pair",
    "Passage",
    "Persona",
    "PersonaEdit",
    "PersonaRecord",
    "Plan",
    "Preview",
    "Progress",
    "Quote",
    "QuoteContext",
    "Reading",
    "Recording",
    "Run",
    "RunListing",
    "RunningModel",
    "SearchHit",
    "Settings",
    "Snippet",
    "Speakers",
    "Stage",
    "Store",
    "Study",
    "StudyListing",
    "Table",
    "TableChoice",
    "Transcript",
    "Version",
]

"""The headings of a handout (PDF, Word, Markdown) in the study's language.

A study in German gets "Ziele", "Probleme"… as headings around the personas the model wrote
in German. One table holds every heading in every language the persona chat also declines
in (:data:`persona.chat.persona_chat.DECLINES`); any other language gets the English ones.
The language is the one the run recorded (``Run.options.language``).
"""

from __future__ import annotations

from dataclasses import dataclass

from persona.core.records import Run


@dataclass(frozen=True)
class Headings:
    """Every heading and label a handout shows, in one language."""

    personas: str
    goals: str
    pain_points: str
    behaviours: str
    motivations: str
    model: str
    files: str
    verification: str
    status: str
    coverage: str
    distinctness: str
    role: str
    age: str
    made: str
    page: str

    def section(self, name: str) -> str:
        """The heading of a claim section (``goals``, ``pain_points``…)."""
        return str(getattr(self, name))


ENGLISH = Headings(
    personas="Personas",
    goals="Goals",
    pain_points="Pain points",
    behaviours="Behaviours",
    motivations="Motivations",
    model="Model",
    files="Files",
    verification="Verification",
    status="Status",
    coverage="Coverage",
    distinctness="Distinctness",
    role="Role",
    age="Age",
    made="Made",
    page="Page",
)

HEADINGS: dict[str, Headings] = {
    "English": ENGLISH,
    "German": Headings(
        personas="Personas",
        goals="Ziele",
        pain_points="Probleme",
        behaviours="Verhaltensweisen",
        motivations="Motivationen",
        model="Modell",
        files="Dateien",
        verification="Überprüfung",
        status="Status",
        coverage="Abdeckung",
        distinctness="Unterscheidbarkeit",
        role="Rolle",
        age="Alter",
        made="Erstellt",
        page="Seite",
    ),
    "Spanish": Headings(
        personas="Personas",
        goals="Objetivos",
        pain_points="Puntos de dolor",
        behaviours="Comportamientos",
        motivations="Motivaciones",
        model="Modelo",
        files="Archivos",
        verification="Verificación",
        status="Estado",
        coverage="Cobertura",
        distinctness="Diferenciación",
        role="Rol",
        age="Edad",
        made="Creado",
        page="Página",
    ),
    "French": Headings(
        personas="Personas",
        goals="Objectifs",
        pain_points="Points de friction",
        behaviours="Comportements",
        motivations="Motivations",
        model="Modèle",
        files="Fichiers",
        verification="Vérification",
        status="Statut",
        coverage="Couverture",
        distinctness="Distinction",
        role="Rôle",
        age="Âge",
        made="Créé",
        page="Page",
    ),
    "Italian": Headings(
        personas="Personas",
        goals="Obiettivi",
        pain_points="Punti critici",
        behaviours="Comportamenti",
        motivations="Motivazioni",
        model="Modello",
        files="File",
        verification="Verifica",
        status="Stato",
        coverage="Copertura",
        distinctness="Distinzione",
        role="Ruolo",
        age="Età",
        made="Creato",
        page="Pagina",
    ),
    "Portuguese": Headings(
        personas="Personas",
        goals="Objetivos",
        pain_points="Pontos de dor",
        behaviours="Comportamentos",
        motivations="Motivações",
        model="Modelo",
        files="Arquivos",
        verification="Verificação",
        status="Estado",
        coverage="Cobertura",
        distinctness="Distinção",
        role="Função",
        age="Idade",
        made="Criado",
        page="Página",
    ),
    "Dutch": Headings(
        personas="Persona's",
        goals="Doelen",
        pain_points="Pijnpunten",
        behaviours="Gedrag",
        motivations="Motivaties",
        model="Model",
        files="Bestanden",
        verification="Verificatie",
        status="Status",
        coverage="Dekking",
        distinctness="Onderscheid",
        role="Rol",
        age="Leeftijd",
        made="Gemaakt",
        page="Pagina",
    ),
    "Japanese": Headings(
        personas="ペルソナ",
        goals="目標",
        pain_points="課題",
        behaviours="行動",
        motivations="動機",
        model="モデル",
        files="ファイル",
        verification="検証",
        status="ステータス",
        coverage="カバレッジ",
        distinctness="差異",
        role="役割",
        age="年齢",
        made="作成",
        page="ページ",
    ),
}
"""Headings per language name (as :mod:`persona.generation.language` names languages)."""


def headings_for(language: str) -> Headings:
    """The headings in ``language`` (``German``), English for any language not in the table."""
    return HEADINGS.get(language.strip().title(), ENGLISH)


def run_headings(run: Run) -> Headings:
    """The headings in the language ``run`` was written in (English for older runs)."""
    return headings_for(run.options.language)

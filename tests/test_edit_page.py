"""History's "Edit this persona" form, through Streamlit's AppTest."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from persona.core.records import Run
from persona.dashboard.ui.edit import EDITOR
from persona.history.store import Store
from persona.ingest import Reading
from tests.browser import closed_url
from tests.fake_ollama import FakeOllama
from tests.test_edit import MEALS, read_study, saved_run
from tests.test_pages import (
    assert_no_exception,
    generate,
    open_page,
    sample_files,
    stored_runs,
    values,
)

pytestmark = pytest.mark.usefixtures("empty_caches")


@pytest.fixture
def reading(tmp_path: Path) -> Reading:
    return read_study(tmp_path / "study")


def history(run: Run) -> AppTest:
    at = open_page("history")
    assert any(f"Edit this persona: {p.name}" in e.label for p in run.personas for e in at.expander)
    assert not at.multiselect, "a closed editor builds no form"
    return open_editor(at, f"history_{run.id}")


def open_editor(at: AppTest, key: str) -> AppTest:
    """Open the first persona's editor, as a click on its expander does (a rerun)."""
    at.session_state[EDITOR.format(key=key, index=0)] = True
    at.run()
    assert_no_exception(at)
    return at


def field(store: Store, run: Run, name: str) -> str:
    """The key of a widget of the first persona's form (a saved edit starts a fresh form)."""
    return f"edit_history_{run.id}_0_{len(store.get(run.id).records[0].edits)}_{name}"


def save(at: AppTest, editor: str) -> None:
    """Press Save in the first persona's form. AppTest does not carry an expander's state
    through ``st.rerun`` as a browser does: a closed editor is opened again to read its
    message."""
    [button] = [b for b in at.button if b.label == "Save as a new version"][:1]
    button.click().run()
    assert_no_exception(at)
    if not any(b.label == "Save as a new version" for b in at.button):
        open_editor(at, editor)


@pytest.fixture
def store(data_dir: Path) -> Store:
    return stored_runs(data_dir)


@pytest.fixture
def ollama_down(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OLLAMA_HOST", closed_url())


def test_the_form_saves_wording_and_citations_as_a_new_version(
    ollama_down: None, store: Store, reading: Reading
) -> None:
    run = saved_run(reading, store, keep_text=True)
    at = history(run)
    at.text_input(key=field(store, run, "name")).set_value("Ana Ortega")
    at.text_area(key=field(store, run, "goals_1")).set_value("Plans every meal on Sunday")
    cites = at.multiselect(key=field(store, run, "goals_1_cites"))
    assert cites.value == [MEALS]
    assert "P6 · Tom · line 3 · Tom: Delivery slots are always full when I…" in cites.options
    cites.set_value([MEALS, "P6"])
    save(at, f"history_{run.id}")

    persona = store.get(run.id).personas[0]
    assert persona.name == "Ana Ortega" and persona.goals[0].text == "Plans every meal on Sunday"
    slots = next(p for p in reading.passages if p.id == "P6")
    assert [e.quote for e in persona.goals[0].evidence] == [reading.passages[1].text, slots.text]
    assert all(e.verified for e in persona.goals[0].evidence)
    shown = values(at.success)
    assert any("Saved a new version of Ana Ortega (usable)" in s for s in shown)
    assert any("Track changes: Ana Ortega, edited by hand (1 edit)" in e.label for e in at.expander)
    changed = " ".join(m.value for m in at.markdown)
    assert "<del" in changed and "Ana Ortega" in changed
    assert any("### Ana Ortega" in v for v in values(at.markdown)), "the card shows the edit"


def test_without_the_text_wording_is_edited_and_a_bad_edit_is_refused(
    ollama_down: None, store: Store, reading: Reading
) -> None:
    run = saved_run(reading, store)
    at = history(run)
    assert any("To cite passages, Persona needs this study's text" in i for i in values(at.info))
    at.text_input(key=field(store, run, "name")).set_value("  ")
    save(at, f"history_{run.id}")
    assert any("name is empty" in e for e in values(at.error))
    assert store.get(run.id).records[0].edits == []

    at.text_input(key=field(store, run, "name")).set_value("Ben Okoro")
    save(at, f"history_{run.id}")
    persona = store.get(run.id).personas[0]
    assert persona.name == "Ben Okoro" and persona.unusable
    assert any("same name as Ben Okoro" in e for e in values(at.error))
    assert any("Quotes kept their earlier verdicts" in c for c in values(at.caption))


def test_generate_results_can_be_edited_with_the_uploaded_files(
    fake_ollama: FakeOllama, monkeypatch: pytest.MonkeyPatch, store: Store
) -> None:
    monkeypatch.setenv("OLLAMA_HOST", fake_ollama.url)
    at = generate(open_page("generate"), sample_files())
    [listing] = store.list()
    run = store.get(listing.id)
    assert [e.label for e in at.expander if e.label.startswith("Edit this persona")] == [
        f"Edit this persona: {p.name}" for p in run.personas
    ]
    open_editor(at, "generated")
    assert not any("To cite passages" in i for i in values(at.info)), "the uploads are at hand"
    key = "edit_generated_0_0"
    cites = at.multiselect(key=f"{key}_goals_1_cites")
    assert len(cites.options) > len(cites.value), "the study's passages are offered"
    at.text_input(key=f"{key}_role").set_value("Edited role")
    save(at, "generated")
    assert store.get(run.id).personas[0].role == "Edited role"
    assert any("Saved a new version" in s for s in values(at.success))

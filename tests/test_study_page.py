"""The Study page and the study on Generate, in Streamlit's AppTest: files removed or a study
deleted only after a confirmation that says the copies go, a refused upload that changes
nothing, and an interrupted run resumed from Generate in one click."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from persona import api
from persona.core.safe_text import escape_markdown
from persona.dashboard.ui.study import CURRENT
from persona.history.store import Store
from tests.fake_ollama import FakeOllama
from tests.fakes import interrupted_run
from tests.test_pages import shown

pytestmark = pytest.mark.usefixtures("empty_caches")

ROOT = Path(__file__).resolve().parents[1]
INTERVIEWS = sorted((ROOT / "samples" / "interviews").iterdir())
STUDY = "Grocery interviews"
TIMEOUT_S = 60.0


@pytest.fixture
def study(data_dir: Path) -> str:
    """A study whose files were uploaded once."""
    return api.add_to_study(STUDY, [(p.name, p.read_bytes()) for p in INTERVIEWS]).study


def ok(at: AppTest) -> AppTest:
    assert not at.exception, [e.message for e in at.exception]
    return at


def open_page(page: str, current: str) -> AppTest:
    at = AppTest.from_file(
        str(ROOT / "persona" / "dashboard" / "app.py"), default_timeout=TIMEOUT_S
    )
    at.session_state[CURRENT] = current
    ok(at.run())
    return ok(at.switch_page(f"pages/{page}.py").run())


def click(at: AppTest, label: str) -> AppTest:
    [button] = [b for b in at.button if b.label == label]
    return ok(button.click().run())


def texts(elements: object) -> str:
    return "\n".join(str(e.value) for e in elements)  # type: ignore[attr-defined]


def test_files_are_removed_only_after_a_confirmation_that_says_the_copies_go(
    study: str,
) -> None:
    gone = INTERVIEWS[0].name
    copy = api.study(study).file(gone)
    assert copy is not None and copy.path.is_file()
    at = open_page("study", study)
    ok(at.multiselect(key="study_manage_remove_pick").set_value([gone]).run())
    at = click(at, "Remove from the study…")
    assert "copies in Persona's data folder are deleted" in texts(at.warning)
    assert api.study(study).file(gone) is not None, "nothing is removed before confirming"
    at = click(at, "Cancel")
    assert api.study(study).file(gone) is not None
    ok(at.multiselect(key="study_manage_remove_pick").set_value([gone]).run())
    at = click(at, "Remove from the study…")
    at = click(at, "Yes, remove 1 file(s)")
    assert [f.name for f in api.study(study).files] == [p.name for p in INTERVIEWS[1:]]
    assert not copy.path.exists(), "the copy is deleted"
    assert "Removed 1 file(s)" in shown(texts(at.success))


def test_a_study_is_deleted_only_after_a_confirmation(study: str) -> None:
    at = click(open_page("study", study), "Delete this study…")
    assert "cannot be undone" in texts(at.warning)
    assert study in [s.name for s in api.studies()]
    at = click(at, "Yes, delete the study")
    assert study not in [s.name for s in api.studies()]
    assert not at.session_state[CURRENT], "no study is current any more"
    assert "Deleted the study" in shown(texts(at.success))


def test_an_upload_that_clashes_leaves_the_study_as_it_was(study: str) -> None:
    name = INTERVIEWS[1].name
    before = api.study(study).file(name)
    at = open_page("study", study)
    ok(
        at.file_uploader[0]
        .set_value([(name, b"Tom: a different interview.\n", "text/plain")])
        .run()
    )
    at = click(at, f"Add 1 file to “{study}”")
    refused = shown(texts(at.error))
    assert name in refused and "was not added" in refused
    assert api.study(study).file(name) == before
    assert [f.name for f in api.study(study).files] == [p.name for p in INTERVIEWS]


def test_an_interrupted_run_is_resumed_from_generate_in_one_click(
    study: str, fake_ollama: FakeOllama, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OLLAMA_HOST", fake_ollama.url)
    run_id = interrupted_run(study, "llama3.2:3b")
    assert len(Store().chunks(run_id)) > 1, "findings of several parts were saved"
    at = open_page("generate", study)
    at = click(at, "Resume this run")
    resumed = Store().get(run_id)
    assert resumed.status in ("complete", "partial") and len(resumed.records) == 2
    extracted = [
        c for c in fake_ollama.log("/api/chat") if "findings" in str(c.body.get("format", ""))
    ]
    assert extracted == [], "only the missing calls: no part was read twice"
    assert "The run was resumed" in shown(texts(at.success))
    assert at.session_state["current_run"] == run_id  # its personas are shown below


def test_a_study_named_like_markup_is_shown_as_text(data_dir: Path) -> None:
    name = "Pilot ![x](http://127.0.0.2/p.png) **now**"
    api.add_to_study(name, [(INTERVIEWS[0].name, INTERVIEWS[0].read_bytes())])
    at = open_page("study", name)
    [search] = [t for t in at.text_input if t.label.startswith("Search")]
    expanders = [e.label for e in at.expander]
    for label in [search.label, *expanders]:
        assert "](http" not in label and "**now" not in label, label
    assert search.label == f"Search “{escape_markdown(name)}”"

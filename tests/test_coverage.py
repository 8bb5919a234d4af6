"""Who each persona represents, who is left out, and how alike the personas are."""

from __future__ import annotations

import csv
import io
import json

import pytest

from persona.core.coverage import READABLE_ROWS, coverage, participant_of, place, speakers
from persona.core.documents import Passage
from persona.core.overlap import SIMILAR, distinctness, similarity
from persona.core.records import PersonaRecord, Run
from persona.core.schema import Evidence, Persona
from persona.dashboard.ui.coverage import CELL_PX, MIN_HEIGHT_PX, heatmap
from persona.generation.distinct import clashes
from persona.generation.evidence import verify_personas
from persona.history.export import to_csv, to_json, to_markdown
from persona.hybrid.gate import score_persona
from tests.fakes import persona_dict

STUDY = [
    Passage("maria.md", "line 1", "Interview with Maria", participant="", citable=False),
    Passage("maria.md", "line 3", "I plan every meal on Sunday.", participant="Maria"),
    Passage("maria.md", "line 5", "The app forgets my substitutions.", participant="Maria"),
    Passage("tom.md", "line 2", "I order late at night after my shift.", participant="Tom"),
    Passage("tom.md", "line 4", "Delivery slots are always full.", participant="Tom"),
    Passage("notes.txt", "line 1", "Nobody cites this note."),
    Passage("survey.csv", "row 2", "Answer: I want a cheaper fee."),
    Passage("survey.csv", "row 3", "Answer: Bigger text please.", participant="R003"),
]


def make(name: str, role: str, picks: list[int]) -> Persona:
    return Persona.model_validate(persona_dict(name, role, [STUDY[i] for i in picks]))


def test_participant_falls_back_to_the_row_then_the_file() -> None:
    assert participant_of(STUDY[1]) == "Maria"
    assert participant_of(STUDY[5]) == "notes.txt"
    assert participant_of(STUDY[6]) == "survey.csv, row 2"
    assert participant_of(STUDY[7]) == "R003"


def test_speakers_keep_only_citable_passages_in_order() -> None:
    study = speakers(STUDY)
    assert place("maria.md", "line 1") not in study
    assert list(study.values()) == [
        "Maria",
        "Maria",
        "Tom",
        "Tom",
        "notes.txt",
        "survey.csv, row 2",
        "R003",
    ]


def test_coverage_counts_cited_passages_and_names_who_is_left_out() -> None:
    maria = make("Maria Planner", "Nurse", [1, 2, 1])
    tom = make("Tom Night", "Warehouse worker", [3, 4, 6])
    personas = verify_personas([maria, tom], STUDY)
    cover = coverage(personas, speakers(STUDY))
    assert cover.participants == ("Maria", "Tom", "notes.txt", "survey.csv, row 2", "R003")
    assert dict(cover.cited[0]) == {"Maria": 2}  # two different passages, the repeat once
    assert cover.represented(1) == ("Tom", "survey.csv, row 2")
    assert cover.share(1) == 2 / 5
    assert cover.missing == ("notes.txt", "R003")
    assert cover.summary == (
        "Not represented: notes.txt, R003 — consider one more persona or check these interviews."
    )
    assert [(r.label, r.cited) for r in cover.rows()][-2:] == [
        ("survey.csv, row 2", (0, 1)),
        ("R003", (0, 0)),
    ]


def test_an_unverified_quote_represents_no_one_and_ranges_count_every_line() -> None:
    maria = make("Maria Planner", "Nurse", [1, 2, 1])
    maria.quote.quote = "Something Maria never said at all, really."
    tom = make("Tom Night", "Warehouse worker", [3, 3, 3])
    tom.goals[0].evidence[
        0
    ].quote = "I order late at night after my shift. Delivery slots are always full."
    personas = verify_personas([maria, tom], STUDY)
    assert personas[0].quote.verified is False
    assert personas[1].goals[0].evidence[0].matched_locator == "line 2–line 4"
    cover = coverage(personas, speakers(STUDY))
    assert dict(cover.cited[1]) == {"Tom": 2}


def test_a_run_without_speakers_says_coverage_is_unknown() -> None:
    cover = coverage([make("A B", "Nurse", [1, 2, 3])], {})
    assert not cover.known and "not available" in cover.summary


def test_distinctness_flags_copies_and_same_people_with_close_text() -> None:
    maria = make("Maria Planner", "Nurse", [1, 2, 1])
    copy = maria.model_copy(update={"name": "Mary Planner"})
    tom = make("Tom Night", "Warehouse worker", [3, 4, 6])
    personas = verify_personas([maria, copy, tom], STUDY)
    distinct = distinctness(personas, coverage(personas, speakers(STUDY)))
    pair = distinct.pair(1, 0)
    assert pair is not None and pair.too_alike and pair.similarity == 100.0
    assert pair.shared == ("Maria",)
    other = distinct.pair(0, 2)
    assert other is not None and not other.too_alike and other.shared == ()
    assert "Maria Planner and Mary Planner" in distinct.summary


def test_one_measure_for_the_rule_the_gate_and_the_matrix() -> None:
    maria = make("Maria Planner", "Nurse", [1, 2, 1])
    near = maria.model_copy(update={"name": "Other Name"})
    assert similarity(maria, near) >= SIMILAR
    [reason] = clashes(near, [maria])
    assert "nearly the same role, goals and pain points as Maria Planner" in reason
    assert clashes(maria, []) == []
    assert reason in score_persona(near, [maria]).reasons
    assert distinctness([maria, near]).pairs[0].similarity == round(similarity(maria, near), 1)


def test_similarity_works_on_japanese_and_german() -> None:
    def with_claims(role: str, goal: str, pain: str) -> Persona:
        data = persona_dict("X Y", role, STUDY[1:4])
        data["goals"][0]["text"], data["pain_points"][0]["text"] = goal, pain
        return Persona.model_validate(data)

    a = with_claims("看護師", "いつもの商品をすぐに注文したい", "代替品で困っている")
    b = with_claims("看護師", "いつもの商品をすぐ注文したい", "代替品に困っている")
    c = with_claims("元教師", "電話で人と話したい", "文字が小さくて読めない")
    assert similarity(a, b) >= SIMILAR > similarity(a, c)
    d = with_claims(
        "Pflegerin", "Den üblichen Warenkorb schnell bestellen", "Falsche Ersatzprodukte"
    )
    e = with_claims("Rentner", "Mit einem Menschen am Telefon sprechen", "Die Schrift ist zu klein")
    assert similarity(d, d.model_copy()) == 100.0 and similarity(d, e) < 60


def run_with_study() -> Run:
    maria = make("Maria Planner", "Nurse", [1, 2, 1])
    tom = make("Tom Night", "Warehouse worker", [3, 4, 6])
    personas = verify_personas([maria, tom], STUDY)
    return Run(
        model="m",
        records=[PersonaRecord(draft=p) for p in personas],
        status="complete",
        speakers=speakers(STUDY),
    )


def test_exports_carry_coverage_and_distinctness() -> None:
    run = run_with_study()
    data = json.loads(to_json(run))
    assert data["coverage"]["not_represented"] == ["notes.txt", "R003"]
    assert data["coverage"]["personas"][1] == {
        "name": "Tom Night",
        "represents": ["Tom", "survey.csv, row 2"],
        "share": 0.4,
        "cited_passages": {"Tom": 2, "survey.csv, row 2": 1},
    }
    assert data["distinctness"]["pairs"][0]["personas"] == ["Maria Planner", "Tom Night"]
    assert "speakers" not in data["run"] and Run.model_validate(data["run"]).records == run.records
    markdown = to_markdown(run)
    assert "## Coverage" in markdown and "## Distinctness" in markdown
    assert "| Maria | 2 |  |" in markdown and "| **Share of the study** | 20% | 40% |" in markdown
    assert "Not represented: notes.txt, R003" in markdown
    rows = list(csv.DictReader(io.StringIO(to_csv(run))))
    assert {r["represents"] for r in rows if r["persona"] == "Tom Night"} == {
        "Tom; survey.csv, row 2"
    }
    assert {r["share of study"] for r in rows if r["persona"] == "Maria Planner"} == {"20%"}


def test_persona_generate_prints_coverage_and_distinctness(fake_ollama, capsys, tmp_path) -> None:
    from pathlib import Path

    from persona.cli.commands import main
    from persona.cli.exits import EXIT_OK

    interviews = Path(__file__).resolve().parent.parent / "samples" / "interviews"
    args = ["generate", "--from", str(interviews), "--count", "2", "--out", str(tmp_path)]
    code = main([*args, "--format", "md", "--host", fake_ollama.url])
    out, err = capsys.readouterr()
    assert code == EXIT_OK, err
    assert "Coverage:\n" in err and "% of participants — " in err
    assert "Distinctness: " in err and "% similar, " in err
    markdown = Path(out.strip().splitlines()[0]).read_text(encoding="utf-8")
    assert "## Coverage" in markdown and "Maria" in markdown.split("## Coverage")[1]


# --- unusable personas, alike names, and studies of any size -----------------------------------


def unusable(persona: Persona) -> Persona:
    return persona.model_copy(update={"unusable": ["its goal is a number"]})


def test_an_unusable_persona_represents_no_one_and_has_no_share() -> None:
    maria = make("Maria Planner", "Nurse", [1, 2, 1])
    broken = unusable(make("P05-parent.md", "45.69", [3, 4, 3]))
    cover = coverage(verify_personas([maria, broken], STUDY), speakers(STUDY))
    assert cover.counted == (0,)
    assert cover.share(1) is None and cover.share_text(1) == "not counted (unusable)"
    assert cover.represented(1) == ()
    assert "Tom" in cover.missing  # only the unusable persona cited Tom
    assert all(len(row.cited) == 1 for row in cover.rows())  # one column: Maria Planner
    run = Run(
        model="m",
        records=[PersonaRecord(draft=p) for p in verify_personas([maria, broken], STUDY)],
        speakers=speakers(STUDY),
    )
    shares = [p["share"] for p in json.loads(to_json(run))["coverage"]["personas"]]
    assert shares[1] is None
    markdown = to_markdown(run).split("## Coverage")[1].split("## Distinctness")[0]
    assert "P05-parent.md" not in markdown
    rows = list(csv.DictReader(io.StringIO(to_csv(run))))
    assert {r["share of study"] for r in rows if r["persona"].startswith("P05")} == {
        "not counted (unusable)"
    }


def test_two_personas_with_one_name_stay_two_columns() -> None:
    twins = [make("Anna Berg", "Nurse", [1, 2, 1]), make("Anna Berg", "Driver", [3, 4, 3])]
    cover = coverage(twins, speakers(STUDY))
    assert cover.personas == ("Anna Berg", "Anna Berg (2)")
    assert distinctness(twins, cover).personas == ("Anna Berg", "Anna Berg (2)")
    assert cover.represented(1) == ("Tom",)


def big_study(participants: int) -> tuple[list[Passage], list[Persona]]:
    """``participants`` survey respondents; three personas cite about a third each."""
    study = [
        Passage("survey.csv", f"row {n + 2}", f"Answer {n}: slots are full.", participant=f"R{n}")
        for n in range(participants)
    ]
    personas = []
    for number, name in enumerate(["Anna Berg", "Ben Cole", "Cleo Diaz"]):
        picks = [study[i] for i in range(number, participants, 3)] or study[:1]
        picks = (picks * 3)[: max(3, len(picks))]
        persona = Persona.model_validate(persona_dict(name, "Shopper", picks[:3]))
        persona.goals[0].evidence.extend(
            Evidence(quote=p.text, source=p.source, locator=p.locator) for p in picks[3:]
        )
        personas.append(persona)
    return study, personas


@pytest.mark.parametrize("participants", [1, 5, 308, 5000])
def test_heatmap_rows_stay_readable_at_any_size(participants: int) -> None:
    study, personas = big_study(participants)
    cover = coverage(personas, speakers(study))
    rows = cover.rows()
    assert 1 <= len(rows) <= READABLE_ROWS
    assert sum(len(row.participants) for row in rows) == participants  # everyone, once
    if participants > READABLE_ROWS:
        assert all(" participant" in row.label for row in rows)
        assert any(row.label.startswith("Cited by Anna Berg ·") for row in rows)
    assert len(cover.summary) < 400


@pytest.mark.parametrize("participants", [1, 5, 308, 5000])
def test_the_heatmap_chart_has_cells_and_a_bounded_height(participants: int) -> None:
    study, personas = big_study(participants)
    spec = heatmap(coverage(personas, speakers(study))).to_dict()
    [values] = spec["datasets"].values()
    rows = {v["Participant"] for v in values}
    assert len(values) == len(rows) * 3 and values  # every row has a cell per persona
    assert any(v["Passages cited"] > 0 for v in values)
    assert MIN_HEIGHT_PX <= spec["height"] <= CELL_PX * READABLE_ROWS
    assert spec["height"] / len(rows) >= CELL_PX  # a label's row is taller than its text
    [squares, _labels] = spec["layer"]
    assert squares["mark"]["stroke"]  # empty cells still show as cells
    y_axis = squares["encoding"]["y"]["axis"]
    assert y_axis["labelOverlap"] == "greedy" and y_axis["labelFontSize"] < CELL_PX

"""Meeting transcripts: Zoom, Teams and Google Meet WebVTT, SubRip, Otter and bracketed
timestamped text. Speakers, timestamps as locators, joined turns, no caption machinery in a
quote, the interviewer detected, changeable and never quoted, and files that fail well."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import persona
from persona.cli.commands import main
from persona.cli.exits import EXIT_FAIL, EXIT_OK
from persona.core.errors import InputError
from persona.core.records import RunOptions
from persona.core.schema import Persona
from persona.core.verdicts import run_summary
from persona.history.store import Store
from persona.ingest import read_file, read_files, read_paths
from persona.ingest.preview import file_speakers
from persona.ingest.transcripts import (
    Cue,
    detect_interviewer,
    is_timed_text,
    join_turns,
    read_transcript,
    timestamp,
    transcript_passages,
)
from tests.fakes import QueuedEngine, ScriptedEngine, draft_dict, personas_json

DATA = Path(__file__).resolve().parent / "data" / "transcripts"
SAMPLES = Path(__file__).resolve().parents[1] / "samples"

# (file, [(locator, speaker, citable)], interviewer)
EXPECTED = {
    "zoom.vtt": (
        [
            ("00:00:06", "Dana Whitfield", False),
            ("00:00:15", "Sam Ortiz", True),
            ("00:00:32", "Dana Whitfield", False),
            ("00:00:37", "Sam Ortiz", True),
            ("00:01:02", "Dana Whitfield", False),
            ("00:01:09", "Sam Ortiz", True),
        ],
        "Dana Whitfield",
    ),
    "teams.vtt": (
        [
            ("00:00:03", "Jordan Reyes (Researcher)", False),
            ("00:00:08", "Mei Tanaka", True),
            ("00:01:02", "Jordan Reyes (Researcher)", False),
            ("00:01:07", "Mei Tanaka", True),
        ],
        "Jordan Reyes (Researcher)",
    ),
    "meet.vtt": (
        [
            ("00:00:01", "Host", False),
            ("00:00:10", "Lena Park", True),
            ("00:00:24", "Host", False),
            ("00:00:28", "Lena Park", True),
        ],
        "Host",
    ),
    "otter.srt": (
        [
            ("00:00:04", "Interviewer", False),
            ("00:00:14", "Omar Haddad", True),
            ("00:00:31", "Interviewer", False),
            ("00:00:36", "Omar Haddad", True),
        ],
        "Interviewer",
    ),
    "otter.txt": (
        [
            ("00:00:03", "Speaker 1", False),
            ("00:00:09", "Speaker 2", True),
            ("00:00:21", "Speaker 1", False),
            ("00:00:24", "Speaker 2", True),
            ("00:01:02", "Speaker 1", False),
            ("00:01:05", "Speaker 2", True),
            ("line 23", "", False),  # "Transcribed by https://otter.ai"
        ],
        "Speaker 1",
    ),
    "bracket.txt": (
        [
            ("line 1", "", False),  # the title and date before the first turn: context
            ("line 2", "", False),
            ("00:00:02", "Interviewer", False),
            ("00:00:09", "Rosa Vidal", True),
            ("00:01:15", "Interviewer", False),
            ("00:01:20", "Rosa Vidal", True),
        ],
        "Interviewer",
    ),
}

MACHINERY = ("-->", "WEBVTT", "NOTE", "STYLE", "align:", "position:", "a1b2c3d4", "<v", "<c", "<i>")


def read(name: str, **kwargs):
    document, report = read_file(name, (DATA / name).read_bytes(), **kwargs)
    assert document is not None, report.error
    return document, report


@pytest.mark.parametrize("name", list(EXPECTED))
def test_each_shape_gives_speakers_timestamps_and_the_interviewer(name: str) -> None:
    document, report = read(name)
    expected, interviewer = EXPECTED[name]
    assert [(p.locator, p.participant, p.citable) for p in document.passages] == expected
    assert report.interviewer == interviewer
    assert report.speakers == tuple(dict.fromkeys(who for _, who, _ in expected if who))
    assert report.rows == len(expected) and report.warnings[0].startswith("transcript: 2 speakers")
    for passage in document.passages:
        assert not any(mark in passage.text for mark in MACHINERY), passage
        assert not passage.text[:1].isdigit(), "a caption number reached the text"
        assert not passage.text.startswith(f"{passage.participant}:"), "the label stays out"


def test_consecutive_cues_of_one_speaker_join_and_a_cue_without_one_continues() -> None:
    zoom, _ = read("zoom.vtt")
    assert zoom.passages[1].text == (
        "Mostly by bike. I ride about twenty minutes along the canal. When it rains I take the "
        "tram, but the tram & bus tickets are two different apps, which drives me mad."
    )
    teams, _ = read("teams.vtt")
    assert teams.passages[1].text == (
        "I start with a spreadsheet of everyone's dates. Then I chase people on chat for a "
        "week. Honestly, the chasing takes longer than booking the venue."
    )
    bracket, _ = read("bracket.txt")
    assert bracket.passages[3].text.endswith(
        "at the end. The app never remembers the brands I like."
    )


def test_tags_timestamps_and_entities_are_cleaned() -> None:
    meet, _ = read("meet.vtt")
    assert meet.passages[1].text == (
        "I order on Sunday evening, always from my phone. The substitutions are the worst "
        "part – I never know what arrives."
    )
    zoom, _ = read("zoom.vtt")
    assert zoom.passages[3].text.endswith('the tram was "on time".')
    assert (
        zoom.passages[5].text
        == "One ticket for everything. I'd pay <5 euros more a month for that."
    )
    teams, _ = read("teams.vtt")
    assert "A shared calendar and far too many emails" in teams.passages[3].text


def test_name_then_time_shape_and_hours_always_shown() -> None:
    text = (
        "Interviewer (00:00:05): How did you find the checkout?\n"
        "Ana Silva (00:00:09): Slow. It asked for my address twice.\n"
        "Ana Silva (01:02:03): And the voucher field was hidden.\n"
    )
    assert is_timed_text(text)
    document, _ = read_file("call.txt", text.encode())
    assert document is not None
    assert [(p.locator, p.participant, p.citable) for p in document.passages] == [
        ("00:00:05", "Interviewer", False),
        ("00:00:09", "Ana Silva", True),
    ]
    assert document.passages[1].text.endswith("twice. And the voucher field was hidden.")
    assert timestamp(3723.9) == "01:02:03" and timestamp(5) == "00:00:05"


def test_an_ordinary_interview_txt_reads_exactly_as_before() -> None:
    sample = SAMPLES / "interviews" / "02_tom_becker.txt"
    document, report = read_file(sample.name, sample.read_bytes())
    assert document is not None and not report.speakers and not report.interviewer
    assert all(p.locator.startswith("line ") for p in document.passages)
    assert [p.participant for p in document.passages if p.citable][:2] == ["Tom", "Tom"]
    stray = "Maria: We met at 10:30 on the Monday.\nMaria: Then again at 11:15.\n" * 2
    assert not is_timed_text(stray)
    mixed = "[00:00:01] Maria: Hello there.\nMaria: I shop on Sundays.\nMaria: Always.\n"
    assert not is_timed_text(mixed), "most turns carry no time: an ordinary transcript"


def test_the_interviewer_is_detected_by_questions_or_not_at_all() -> None:
    asking = [
        Cue(0, "Ann", "How do you travel?"),
        Cue(5, "Bo", "By train, is that odd?"),
        Cue(9, "Ann", "Not at all. Why the train?"),
    ]
    assert detect_interviewer(asking).name == "Ann"
    assert "2 of 2 turns" in detect_interviewer(asking).reason
    tie = [Cue(0, "Ann", "Why?"), Cue(1, "Bo", "Why not?")] * 2
    assert detect_interviewer(tie).name == ""
    alone = [Cue(0, "Ann", "Why?"), Cue(1, "Ann", "What?")]
    assert detect_interviewer(alone).name == ""
    named = [Cue(0, "Moderadora", "Gracias."), Cue(1, "Luz", "¿Y tú? ¿Qué?")]
    assert detect_interviewer(named).name == "Moderadora", "named beats most questions"


def test_the_interviewer_can_be_changed_or_be_nobody() -> None:
    swapped = read_paths([DATA / "zoom.vtt"], interviewers={"zoom.vtt": "sam ortiz"})
    assert swapped.reports[0].interviewer == "Sam Ortiz"
    assert {p.participant for p in swapped.passages if p.citable} == {"Dana Whitfield"}
    nobody = read_paths([DATA], interviewers={"*": ""})
    transcripts = [p for p in nobody.passages if p.participant]
    assert transcripts and all(p.citable for p in transcripts)
    assert all(r.interviewer == "" and "no interviewer" in r.warnings[0] for r in nobody.reports)
    everywhere = read_paths([DATA], interviewers={"*": "Interviewer"})
    by_file = {r.name: r.interviewer for r in everywhere.reports}
    assert by_file["otter.srt"] == "Interviewer" and by_file["zoom.vtt"] == "Dana Whitfield"


def test_an_interviewer_who_is_not_a_speaker_is_refused_naming_the_speakers() -> None:
    with pytest.raises(InputError, match="Dana Whitfield, Sam Ortiz") as error:
        read_paths([DATA / "zoom.vtt"], interviewers={"*": "Dan"})
    assert "'Dan' is not a speaker" in str(error.value)
    with pytest.raises(InputError, match=r"meet\.vtt: Host, Lena Park"):
        read_files(
            [("meet.vtt", (DATA / "meet.vtt").read_bytes())], interviewers={"meet.vtt": "Lina"}
        )
    with pytest.raises(InputError, match="No meeting transcript"):
        read_files([("a.txt", b"Maria: hi\nMaria: there\n")], interviewers={"*": "Maria"})


def test_the_preview_shows_speakers_and_the_detected_interviewer() -> None:
    found = file_speakers("teams.vtt", (DATA / "teams.vtt").read_bytes())
    assert found is not None
    assert found.names == ["Jordan Reyes (Researcher)", "Mei Tanaka"]
    assert found.detected.name == "Jordan Reyes (Researcher)"
    assert found.detected.reason == "named as the interviewer"
    assert file_speakers("notes.txt", b"Maria: hi\nMaria: there\n") is None
    assert file_speakers("survey.csv", b"a,b\n1,2\n") is None
    _, report = read("otter.txt")
    assert report.warnings[0] == (
        "transcript: 2 speakers (Speaker 1, Speaker 2); interviewer: Speaker 1 (asks the most "
        "questions: 3 of 3 turns end in ?); their turns are context, never quoted"
    )


GOOD = (DATA / "zoom.vtt").read_bytes()


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("a.vtt", b"1\n00:00:01.000 --> 00:00:02.000\nAnn: hi\n", "does not start with WEBVTT"),
        ("b.vtt", b"WEBVTT\n\n1\n00:00:01.000 -> 00:00:02.000\nhi\n", "has no captions"),
        ("c.vtt", b"WEBVTT\n\n1\n00:00:01 --> 00:00:02.000\nhi\n", "line 4 ('00:00:01 -->"),
        ("d.srt", b"1\n00:00:01,000 --> 00:00:0x,000\nhi\n", "timing line at line 2"),
        ("e.vtt", b"", "is empty"),
        ("f.vtt", b"WEBVTT\n\nNOTE nothing here\n", "has no captions"),
        ("g.vtt", b"WEBVTT\n\n1\n00:00:01.000 --> 00:00:02.000\n<v Ann></v>\n", "2 caption"),
        (
            "h.srt",
            b"1\n00:00:01,000 --> 00:00:02,000\n\n2\n00:00:03,000 --> 00:00:04,000\n",
            "2 captions but no words",
        ),
    ],
)
def test_bad_transcripts_fail_with_what_to_do_and_the_others_are_read(
    name: str, data: bytes, message: str
) -> None:
    if name == "g.vtt":
        data = data + b"\n2\n00:00:03.000 --> 00:00:04.000\n<i> </i>\n"
    reading = read_files([(name, data), ("zoom.vtt", GOOD)])
    bad, good = reading.reports
    assert not bad.ok and message in bad.error
    advice = ("download", "export", "fix", "rename", "check")
    assert any(word in bad.error.lower() for word in advice), "it says what to do"
    assert good.ok and good.interviewer == "Dana Whitfield"


def test_text_without_a_timing_line_is_reported_not_lost_silently() -> None:
    data = GOOD + b"\nStray words that lost their timing line\n"
    document, report = read_file("zoom.vtt", data)
    assert document is not None
    assert "line 35: text without a timing line, not read" in report.warnings[1]


def test_two_turns_in_one_second_get_distinct_locators() -> None:
    turns = [Cue(1.2, "Ann", "Why?"), Cue(1.7, "Bo", "Because.")]
    assert [p.locator for p in transcript_passages("x.vtt", turns, "Ann")] == [
        "00:00:01",
        "00:00:01.700",
    ]


# --- property: whatever the cue texts, no caption machinery reaches a passage ------------------

WORDS = st.text(
    alphabet=st.characters(
        whitelist_categories=("L", "N", "Zs", "Po"), blacklist_characters="<>&:\n\r"
    ),
    min_size=1,
    max_size=40,
).filter(lambda s: s.strip() != "")
SPEAKERS = st.sampled_from(["Ann Lee", "Bo", "Cruz Díaz", ""])


def _clock(seconds: int, separator: str) -> str:
    return f"{timestamp(seconds)}{separator}250"


def _file(cues: list[tuple[str, str]], shape: str) -> str:
    blocks = ["WEBVTT\n"] if shape != "srt" else []
    for n, (speaker, text) in enumerate(cues):
        sep = "," if shape == "srt" else "."
        timing = f"{_clock(n * 4, sep)} --> {_clock(n * 4 + 3, sep)}"
        if shape == "meet":
            timing += " align:start position:0%"
        if shape == "teams":
            payload = f"<v {speaker}>{text}</v>" if speaker else text
            blocks.append(f"abc-{n}/{n}-0\n{timing}\n{payload}\n")
        else:
            payload = f"{speaker}: {text}" if speaker else text
            blocks.append(f"{n + 1}\n{timing}\n{payload}\n")
    return "\n".join(blocks)


@settings(max_examples=60, deadline=None)
@given(
    cues=st.lists(st.tuples(SPEAKERS, WORDS), min_size=1, max_size=8),
    shape=st.sampled_from(["zoom", "teams", "meet", "srt"]),
)
def test_generated_cues_keep_every_word_and_no_machinery(
    cues: list[tuple[str, str]], shape: str
) -> None:
    kind = "srt" if shape == "srt" else "vtt"
    transcript = read_transcript(f"x.{kind}", _file(cues, shape), kind)
    passages = transcript.passages(f"x.{kind}", "")
    for passage in passages:
        assert "-->" not in passage.text and "<v" not in passage.text
        assert "align:" not in passage.text and "abc-" not in passage.text
    said = " ".join(" ".join(text.split()) for _, text in cues).split()
    read_back = " ".join(p.text for p in passages).split()
    if shape == "teams":
        assert read_back == said
    else:  # "Bo: ..." said once by Bo is kept as words, not taken for a label
        assert [
            w for w in read_back if w.rstrip(":") not in ("Ann", "Lee", "Bo", "Cruz", "Díaz")
        ] == [w for w in said if w.rstrip(":") not in ("Ann", "Lee", "Bo", "Cruz", "Díaz")]


def test_join_turns_never_joins_across_speakers() -> None:
    turns = join_turns([Cue(0, "", "a"), Cue(1, "", "b"), Cue(2, "A", "c"), Cue(3, "", "d")])
    assert turns == [Cue(0, "", "a"), Cue(1, "", "b"), Cue(2, "A", "c d")]


# --- end to end: quotes located by timestamp, never an interviewer's line -------------------


def test_generation_quotes_participants_by_timestamp_and_never_the_interviewer() -> None:
    reading = persona.read(DATA / "zoom.vtt", DATA / "otter.srt")
    by_id = {p.id: p for p in reading.passages}
    asked = [p.id for p in reading.passages if not p.citable]
    said = [p.id for p in reading.passages if p.citable]
    assert asked and said
    # A misbehaving model: cites interviewer lines and IDs that do not exist, among real ones.
    first = draft_dict("Ana Ruiz", "Commuter", (asked[0], said[0], said[1]))
    first["goals"][0]["passages"] = [asked[0], said[2]]
    second = draft_dict("Ben Okoro", "Business traveller", (said[3], asked[2], "P99"))
    second["goals"][0]["text"] = "Books work trips across laptop and phone"
    second["pain_points"][0]["text"] = "The travel tool only shows morning flights"
    second["behaviours"][0]["text"] = "Expenses every trip by hand"
    # the checks find the misbehaving personas unusable and ask again: it answers the same
    engine = QueuedEngine([personas_json(first, second)] * 3, schema_enum=False)
    run = persona.generate(reading, "test-model", count=2, engine=engine).wait()
    evidence = [ev for p in run.personas for ev in p.all_evidence()]
    assert evidence
    for ev in evidence:
        passage = by_id[ev.passage or ""]
        assert passage.citable and ev.quote == passage.text
        assert ev.locator == passage.locator and ev.locator.count(":") == 2
    quoted = {ev.passage for ev in evidence}
    assert not quoted & set(asked), "an interviewer line was quoted"
    assert {by_id[i].locator for i in quoted if i is not None} >= {"00:00:15"}
    prompt = engine.calls[0]["messages"][-1]["content"]
    question = by_id[asked[0]].text
    assert question in prompt and f"{asked[0]} {question}" not in prompt, "context, not citable"
    assert "-->" not in prompt and "WEBVTT" not in prompt
    # A quote typed from an interviewer line is "not found", whatever the model claims.
    forged = run.personas[0].model_copy(deep=True)
    forged.goals[0].evidence[0].quote = question
    [checked] = persona.verify([forged], reading)
    assert checked.goals[0].evidence[0].verified is False
    assert run_summary([checked]).found < run_summary([checked]).quotes
    assert isinstance(checked, Persona)
    # the run records whose turns were context, so its files can be read the same way again
    assert run.options.interviewers == {"zoom.vtt": "Dana Whitfield", "otter.srt": "Interviewer"}
    again = persona.read(DATA / "zoom.vtt", interviewers=run.options.interviewers)
    assert [p.citable for p in again.passages] == [by_id[p.id].citable for p in again.passages]


def run_options(data_dir: Path) -> RunOptions:
    [summary] = Store(data_dir / "history.sqlite3").list()
    return Store(data_dir / "history.sqlite3").get(summary.id).options


def test_cli_interviewer_option_and_its_error(fake_ollama, capsys, tmp_path, data_dir) -> None:
    zoom = str(DATA / "zoom.vtt")
    code = main(["generate", "--from", zoom, "--interviewer", "Dan", "--host", fake_ollama.url])
    err = capsys.readouterr().err
    assert code == EXIT_FAIL
    assert "'Dan' is not a speaker" in err and "Dana Whitfield, Sam Ortiz" in err
    assert not fake_ollama.log("/api/chat"), "nothing was generated"
    code = main(
        [
            "generate", "--from", zoom, "--interviewer", "Sam Ortiz", "--count", "1",
            "--out", str(tmp_path), "--host", fake_ollama.url, "--keep-text",
        ]
    )  # fmt: skip
    out, err = capsys.readouterr()
    assert code == EXIT_OK, err
    assert "interviewer: Sam Ortiz (chosen)" in err
    assert run_options(data_dir).interviewers == {"zoom.vtt": "Sam Ortiz"}
    [summary] = Store(data_dir / "history.sqlite3").list()
    run = Store(data_dir / "history.sqlite3").get(summary.id)
    quotes = [ev for p in run.personas for ev in p.all_evidence()]
    sam = {"Mostly by bike", "I once stood", "One ticket"}
    assert quotes and not any(q.quote.startswith(tuple(sam)) for q in quotes)
    exported = json.loads(Path(out.strip().splitlines()[0]).read_text(encoding="utf-8"))
    assert exported["personas"]


def test_cli_resume_reads_transcripts_with_the_runs_interviewers(fake_ollama, capsys) -> None:
    reading = persona.read(DATA / "zoom.vtt", interviewers={"*": "Sam Ortiz"})
    run = persona.generate(reading, "m", count=1, engine=ScriptedEngine()).wait()
    assert run.options.interviewers == {"zoom.vtt": "Sam Ortiz"}
    code = main(["resume", run.id, str(DATA / "zoom.vtt"), "--host", fake_ollama.url])
    err = capsys.readouterr().err
    assert "interviewer: Sam Ortiz (chosen)" in err, "read again as the run read it"
    assert code == EXIT_FAIL and "nothing to resume" in err


def test_a_label_said_once_in_a_bracketed_transcript_stays_words() -> None:
    text = (
        "[00:00:02] Interviewer: What did you try?\n"
        "[00:00:05] Rosa Vidal: The voucher.\n"
        "[00:00:09] Tip: it only works on Tuesdays.\n"
        "[00:00:15] Rosa Vidal: So I gave up.\n"
    )
    document, _ = read_file("call.txt", text.encode())
    assert document is not None
    assert [(p.locator, p.participant, p.text) for p in document.passages] == [
        ("00:00:02", "Interviewer", "What did you try?"),
        ("00:00:05", "Rosa Vidal", "The voucher. Tip: it only works on Tuesdays. So I gave up."),
    ]

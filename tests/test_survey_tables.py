"""Survey exports (.xlsx from Qualtrics and Google Forms, CSV) read with column roles."""

from __future__ import annotations

import io
import zipfile

import openpyxl
import pytest

from persona.core.errors import InputError
from persona.ingest import read_file, read_files, read_paths
from persona.ingest.archives import check_archive
from persona.ingest.columns import column_letter, suggest_role
from persona.ingest.preview import file_tables
from persona.ingest.roles import (
    TableChoice,
    choice_for,
    choices_from_options,
    choices_to_options,
    parse_roles,
)
from tests.survey_files import (
    GOOGLE_QUESTIONS,
    GOOGLE_RESPONSES,
    NAMED_SURVEY,
    QUALTRICS_QUESTIONS,
    QUALTRICS_RESPONSES,
    SURVEYMONKEY_AGE,
    SURVEYMONKEY_DEVICES,
    SURVEYMONKEY_FRUSTRATION,
    SURVEYMONKEY_MORE,
    SURVEYMONKEY_OPTIONS,
    SURVEYMONKEY_RESPONSES,
    SURVEYMONKEY_SATISFIED,
    google_forms_xlsx,
    qualtrics_xlsx,
    surveymonkey_csv,
    surveymonkey_xlsx,
)

NEVER_QUOTED = [
    *(r[0] for r in QUALTRICS_RESPONSES),  # response IDs
    "Somewhat dissatisfied",  # Likert answers
    "Neither satisfied nor dissatisfied",
    "192.0.2.10",
    "2026-03-02",
]


def test_qualtrics_xlsx_quotes_only_free_text_answers() -> None:
    document, report = read_file("grocery.xlsx", qualtrics_xlsx())
    assert report.ok, report.error
    assert document is not None
    assert report.kind == "xlsx"
    assert report.warnings == (
        "recognised a Qualtrics export: its question-text and import-ID header rows are not "
        "answers",
    )
    quotes = [p for p in document.passages if p.citable]
    expected = [
        (f"row {4 + n}, {q}", text, r[0])
        for n, r in enumerate(QUALTRICS_RESPONSES)
        for q, text in (("Q5", r[5]), ("Q6", r[6]))
        if text
    ]
    assert [(p.locator, p.text, p.participant) for p in quotes] == expected
    for passage in quotes:
        assert not any(value in passage.text for value in NEVER_QUOTED)
        assert "ImportId" not in passage.text
    questions = {p.locator: p.text for p in document.passages if p.locator in ("Q5", "Q6")}
    assert questions == {"Q5": QUALTRICS_QUESTIONS["Q5"], "Q6": QUALTRICS_QUESTIONS["Q6"]}
    # each answer knows its question, so the model sees it in whichever chunk it lands
    assert [p.question for p in quotes] == [
        QUALTRICS_QUESTIONS[locator.rsplit(", ", 1)[1]] for locator, _, _ in expected
    ]
    about = next(p for p in document.passages if p.locator == "row 4")
    assert not about.citable
    assert about.participant == QUALTRICS_RESPONSES[0][0]
    assert about.text == (
        "How old are you?: 34; What is your job?: Nurse; How satisfied are you with your "
        "grocery deliveries?: Somewhat dissatisfied; How likely are you to recommend us to a "
        "friend? (0-10): 4"
    )


def test_qualtrics_columns_are_suggested() -> None:
    [table] = file_tables("grocery.xlsx", qualtrics_xlsx())
    assert (table.layout, table.sheet, table.header_row) == ("Qualtrics", "Sheet0", 1)
    assert [n for n, _ in table.rows] == [4, 5, 6, 7, 8]
    roles = {c.key: c.suggested for c in table.columns}
    assert roles == {
        "StartDate": "ignore",
        "EndDate": "ignore",
        "Status": "ignore",
        "IPAddress": "ignore",
        "Progress": "ignore",
        "Duration (in seconds)": "ignore",
        "Finished": "ignore",
        "RecordedDate": "ignore",
        "ResponseId": "id",
        "UserLanguage": "ignore",
        "Q1": "context",
        "Q2": "context",
        "Q3": "context",
        "Q4": "context",
        "Q5": "answer",
        "Q6": "answer",
    }
    q5 = next(c for c in table.columns if c.key == "Q5")
    assert q5.question == QUALTRICS_QUESTIONS["Q5"]
    assert q5.samples[0] == QUALTRICS_RESPONSES[0][5]
    assert q5.filled == 5


def test_google_forms_xlsx() -> None:
    document, report = read_file("form.xlsx", google_forms_xlsx())
    assert report.ok, report.error
    assert document is not None
    assert report.warnings == ("recognised a Google Forms export: its Timestamp column is ignored",)
    quotes = [p for p in document.passages if p.citable]
    expected = [
        (f"row {2 + n}, column {letter}", text, f"row {2 + n}")
        for n, r in enumerate(GOOGLE_RESPONSES)
        for letter, text in (("C", r[1]), ("E", r[3]))
        if text
    ]
    assert [(p.locator, p.text, p.participant) for p in quotes] == expected
    assert not any("2026-04-07" in p.text for p in document.passages)
    questions = {p.locator: p.text for p in document.passages if p.locator.startswith("column")}
    assert questions == {"column C": GOOGLE_QUESTIONS[2], "column E": GOOGLE_QUESTIONS[4]}
    about = next(p for p in document.passages if p.locator == "row 2")
    assert about.text == f"{GOOGLE_QUESTIONS[1]}: Weekly; {GOOGLE_QUESTIONS[3]}: 2"


def test_chosen_roles_change_what_is_quoted() -> None:
    choice = TableChoice(roles={"Q6": "ignore", "Q2": "answer", "ResponseId": "context"})
    document, report = read_file("grocery.xlsx", qualtrics_xlsx(), choice=choice)
    assert report.ok, report.error
    assert document is not None
    quotes = [p for p in document.passages if p.citable]
    assert {p.locator.split(", ")[1] for p in quotes} == {"Q2", "Q5"}
    assert {p.participant for p in quotes} == {f"row {n}" for n in range(4, 9)}
    about = next(p for p in document.passages if p.locator == "row 4")
    assert about.text.startswith("Response ID: R_1OUVd2xQ8mY3pLk; How old are you?: 34")


def test_a_choice_naming_no_column_is_reported() -> None:
    choice = TableChoice(roles={"Q9": "answer"})
    _, report = read_file("grocery.xlsx", qualtrics_xlsx(), choice=choice)
    assert report.ok
    assert any("no column named 'Q9'" in w and "Q5" in w for w in report.warnings)


def test_no_answer_column_is_a_clear_error() -> None:
    choice = TableChoice(roles={"Q5": "ignore", "Q6": "context"})
    _, report = read_file("grocery.xlsx", qualtrics_xlsx(), choice=choice)
    assert not report.ok
    assert "no column is marked as a free-text answer" in report.error
    assert "'answer'" in report.error


def workbook(*sheets: tuple[str, list[list[object]]]) -> bytes:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets:
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


TWO_SHEETS = workbook(
    ("Wave 1", [["Id", "Comment"], ["A1", "The app is slow in the evening when I order."]]),
    ("Empty", []),
    ("Wave 2", [["Id", "Comment"], [None, None], ["B7", "Checkout keeps failing on my phone."]]),
)


def test_every_sheet_is_read_and_named_in_locators() -> None:
    document, report = read_file("waves.xlsx", TWO_SHEETS)
    assert report.ok, report.error
    assert document is not None
    quotes = [(p.locator, p.participant) for p in document.passages if p.citable]
    assert quotes == [("Wave 1, row 2, Comment", "A1"), ("Wave 2, row 3, Comment", "B7")]


def test_one_sheet_can_be_picked() -> None:
    document, _ = read_file("waves.xlsx", TWO_SHEETS, choice=TableChoice(sheets=("Wave 2",)))
    assert document is not None
    assert [p.locator for p in document.passages if p.citable] == ["row 3, Comment"]
    _, report = read_file("waves.xlsx", TWO_SHEETS, choice=TableChoice(sheets=("Wave 9",)))
    assert not report.ok
    assert "no sheet named 'Wave 9'" in report.error
    assert "Wave 1, Wave 2" in report.error


def test_choices_for_all_files_and_per_file() -> None:
    choices = {
        "*": TableChoice(roles={"Q6": "ignore"}),
        "grocery.xlsx": TableChoice(roles={"Q2": "answer"}),
    }
    merged = choice_for(choices, "grocery.xlsx")
    assert merged is not None
    assert dict(merged.roles) == {"Q6": "ignore", "Q2": "answer"}
    assert choice_for(choices, "other.csv") == choices["*"]
    assert choice_for(None, "x.csv") is None
    saved = choices_to_options(choices)
    assert choices_from_options({"columns": saved}) == choices
    reading = read_files([("grocery.xlsx", qualtrics_xlsx())], choices=choices)
    assert {p.locator.split(", ")[1] for p in reading.passages if p.citable} == {"Q2", "Q5"}


def test_read_paths_applies_choices(tmp_path) -> None:
    (tmp_path / "grocery.xlsx").write_bytes(qualtrics_xlsx())
    reading = read_paths([tmp_path], choices={"*": TableChoice(roles={"Q5": "ignore"})})
    assert {p.locator.split(", ")[1] for p in reading.passages if p.citable} == {"Q6"}


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("Q5=answer,ResponseId=id", {"Q5": "answer", "ResponseId": "id"}),
        (" Age = context , StartDate=IGNORE ", {"Age": "context", "StartDate": "ignore"}),
        ("What, if anything?=text", {"What, if anything?": "answer"}),
        ("Email=respondent,Notes=skip", {"Email": "id", "Notes": "ignore"}),
        ("first_name=private,Email=identifier", {"first_name": "private", "Email": "private"}),
    ],
)
def test_parse_roles(spec: str, expected: dict[str, str]) -> None:
    assert parse_roles(spec) == expected


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("Q5", "is not COLUMN=ROLE"),
        ("Q5=quoted", "Unknown column role 'quoted'"),
        ("=id", "is not COLUMN=ROLE"),
    ],
)
def test_parse_roles_errors(spec: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_roles(spec)


@pytest.mark.parametrize(
    ("name", "values", "role"),
    [
        ("Respondent ID", ["R1", "R2", "R3"], "id"),
        ("Timestamp", ["2026/04/07 7:02:11 PM GMT+1", "2026/04/08 9:00:00 AM GMT+1"], "ignore"),
        ("Submitted", ["2026-04-07 19:02:11", "2026-04-08T09:00:00Z"], "ignore"),
        ("Rating", ["1", "5", "3", "4"], "context"),
        ("Gender", ["Female", "Male", "Female", "Non-binary", "Male", "Female"], "context"),
        ("Why?", ["Because the slots are gone by eight in the morning", "Too slow"], "answer"),
        ("Empty", [], "ignore"),
        ("IPAddress", ["192.0.2.1", "192.0.2.2"], "ignore"),
        ("first_name", ["Malik", "Dana", "Oluwaseun"], "private"),
        ("firstName", ["Malik", "Dana"], "private"),
        ("Last Name", ["Nguyen", "Al-Farsi"], "private"),
        ("full name", ["Zhang Wei", "Siobhán Ní Bhriain"], "private"),
        ("Name", ["Ana", "Bo"], "private"),
        ("Vorname", ["Jürgen", "Dörte"], "private"),
        ("nombre", ["Lucía", "Javier"], "private"),
        ("Respondent name", ["Ana Ruiz", "Bo Chen"], "private"),
        ("Email Address", ["ana@example.com", "bo@example.com"], "private"),
        ("e-mail", ["ana@example.com"], "private"),
        ("Phone number", ["+44 20 7946 0958", "020 7946 0000"], "private"),
        ("Date of birth", ["1991-03-03", "1985-12-01"], "private"),
        ("Participant", ["Dana Smith", "Malik Osei", "Lan Nguyen"], "private"),
        ("Participant", ["P01", "P02", "P03"], "id"),
        ("Product name", ["Basket App", "Kago", "Picnic"], "context"),
    ],
)
def test_suggest_role(name: str, values: list[str], role: str) -> None:
    assert suggest_role(name, values)[0] == role


def test_column_letters() -> None:
    assert [column_letter(i) for i in (0, 2, 25, 26, 27, 701, 702)] == [
        "A",
        "C",
        "Z",
        "AA",
        "AB",
        "ZZ",
        "AAA",
    ]


def test_a_csv_survey_gets_the_same_roles() -> None:
    text = (
        "Timestamp,Email Address,Age,What went wrong?\n"
        "2026/04/07 7:02:11 PM GMT+1,ana@example.com,34,The driver left the bags in the rain.\n"
        "2026/04/07 9:12:40 PM GMT+1,bo@example.com,71,Nobody answered the phone for an hour.\n"
    )
    document, report = read_file("form.csv", text.encode())
    assert report.ok, report.error
    assert document is not None
    quotes = [(p.locator, p.participant) for p in document.passages if p.citable]
    assert quotes == [("row 2, What went wrong?", "row 2"), ("row 3, What went wrong?", "row 3")]
    assert document.identifiers == ["ana@example.com", "bo@example.com"]


def test_a_rows_context_keeps_every_context_column_in_its_place() -> None:
    text = (
        "Respondent ID,Age,Plan,What went wrong?\n"
        "R1,34,Premium,The driver left the bags in the rain.\n"
        "R2,,Basic,Nobody answered the phone for an hour.\n"
    )
    document, report = read_file("form.csv", text.encode())
    assert report.ok and document is not None, report.error
    rows = [p for p in document.passages if p.cells]
    assert [(p.locator, p.text, p.cells, p.citable) for p in rows] == [
        ("row 2", "Age: 34; Plan: Premium", (("Age", "34"), ("Plan", "Premium")), False),
        ("row 3", "Plan: Basic", (("Age", ""), ("Plan", "Basic")), False),
    ]
    assert not any(p.cells for p in document.passages if p.citable)


@pytest.mark.parametrize("extension", ["csv", "xlsx"])
def test_name_columns_never_reach_a_passage_and_are_kept_for_redaction(extension: str) -> None:
    if extension == "xlsx":
        book = openpyxl.Workbook()
        sheet = book.active
        for line in NAMED_SURVEY.splitlines():
            sheet.append(line.split(","))
        buffer = io.BytesIO()
        book.save(buffer)
        data = buffer.getvalue()
    else:
        data = NAMED_SURVEY.encode()
    [table] = file_tables(f"named.{extension}", data)
    roles = {c.key: c.suggested for c in table.columns}
    assert roles["first_name"] == roles["Last Name"] == roles["E-mail"] == "private"
    assert roles["respondent_id"] == "id"
    document, report = read_file(f"named.{extension}", data)
    assert report.ok and document is not None, report.error
    told = " ".join(
        f"{p.participant} {p.question} {p.locator} {p.text} {p.cells}" for p in document.passages
    )
    for value in ("Osei", "Okafor", "Adeyemi", "malik@example.com", "first_name", "E-mail"):
        assert value not in told, value
    assert {p.participant for p in document.passages if p.citable} == {"R1", "R2", "R3"}
    assert document.identifiers == [
        "Malik",
        "Osei",
        "malik@example.com",
        "Dana",
        "Okafor",
        "dana@example.com",
        "Oluwaseun",
        "Adeyemi",
        "olu@example.com",
    ]
    chosen = TableChoice(roles={"first_name": "context"})
    document, _ = read_file(f"named.{extension}", data, choice=chosen)
    assert document is not None and "first_name: Malik" in document.text
    assert "Malik" not in document.identifiers


def test_a_zip_bomb_is_refused_before_unpacking() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (80 * 1024 * 1024))
    data = buffer.getvalue()
    assert len(data) < 1024 * 1024
    with pytest.raises(InputError, match="would unpack to 80 MB"):
        check_archive("bomb.xlsx", data, "an Excel workbook")
    _, report = read_file("bomb.xlsx", data)
    assert not report.ok and "would unpack to" in report.error


def test_a_damaged_workbook_says_what_to_do() -> None:
    _, report = read_file("broken.xlsx", b"PK\x03\x04 not really a zip")
    assert not report.ok
    assert report.error.startswith("broken.xlsx could not be opened as an Excel workbook")


SURVEYMONKEY_NEVER_QUOTED = [
    *(r[0] for r in SURVEYMONKEY_RESPONSES),  # respondent IDs
    "431587562",  # collector ID
    "198.51.100.",
    "Very dissatisfied",
    "25-34",
    "Response",
]


@pytest.mark.parametrize(
    ("name", "data"), [("monkey.xlsx", surveymonkey_xlsx), ("monkey.csv", surveymonkey_csv)]
)
def test_surveymonkey_two_header_rows_make_the_column_names(name: str, data) -> None:
    [table] = file_tables(name, data())
    assert (table.layout, table.header_row) == ("SurveyMonkey", 1)
    assert [n for n, _ in table.rows] == [3, 4, 5, 6]  # the label row is not a response
    devices = [f"{SURVEYMONKEY_DEVICES} — {option}" for option in SURVEYMONKEY_OPTIONS]
    roles = {c.key: c.suggested for c in table.columns}
    assert roles == {
        "Respondent ID": "id",
        "Collector ID": "ignore",
        "Start Date": "ignore",
        "End Date": "ignore",
        "IP Address": "ignore",
        "Email Address": "ignore",
        "First Name": "ignore",
        "Last Name": "ignore",
        "Custom Data 1": "ignore",
        SURVEYMONKEY_AGE: "context",
        **dict.fromkeys(devices[:3], "context"),
        devices[3]: "answer",  # what "Other (please specify)" holds is written by respondents
        SURVEYMONKEY_SATISFIED: "context",
        SURVEYMONKEY_FRUSTRATION: "answer",
        SURVEYMONKEY_MORE: "answer",
    }
    frustration = next(c for c in table.columns if c.key == SURVEYMONKEY_FRUSTRATION)
    assert frustration.question == SURVEYMONKEY_FRUSTRATION
    assert frustration.samples[0] == SURVEYMONKEY_RESPONSES[0][4]

    document, report = read_file(name, data())
    assert report.ok, report.error
    assert document is not None
    assert report.warnings == (
        "recognised a SurveyMonkey export: its second header row (answer labels) is not "
        "answers; columns are named by their question and option",
    )
    quotes = [p for p in document.passages if p.citable]
    expected = [
        (f"row {3 + n}, column {letter}", text, r[0])
        for n, r in enumerate(SURVEYMONKEY_RESPONSES)
        for letter, text in (("N", r[2][3]), ("P", r[4]), ("Q", r[5]))
        if text
    ]
    assert [(p.locator, p.text, p.participant) for p in quotes] == expected
    for passage in quotes:
        assert not any(value in passage.text for value in SURVEYMONKEY_NEVER_QUOTED)
    questions = {p.locator: p.text for p in document.passages if p.locator.startswith("column")}
    assert questions == {
        "column N": devices[3],
        "column P": SURVEYMONKEY_FRUSTRATION,
        "column Q": SURVEYMONKEY_MORE,
    }
    about = next(p for p in document.passages if p.locator == "row 4")
    assert not about.citable and about.participant == SURVEYMONKEY_RESPONSES[1][0]
    assert about.text == (
        f"{SURVEYMONKEY_AGE}: 65+; {devices[1]}: Tablet; "
        f"{SURVEYMONKEY_SATISFIED}: Neither satisfied nor dissatisfied"
    )


def test_surveymonkey_columns_can_be_chosen_by_their_combined_names() -> None:
    other = f"{SURVEYMONKEY_DEVICES} — Other (please specify)"
    choice = TableChoice(roles={other: "context", SURVEYMONKEY_MORE: "ignore"})
    document, report = read_file("monkey.csv", surveymonkey_csv(), choice=choice)
    assert report.ok and document is not None
    quotes = {p.text for p in document.passages if p.citable}
    assert quotes == {r[4] for r in SURVEYMONKEY_RESPONSES}
    about = next(p for p in document.passages if p.locator == "row 4")
    assert f"{other}: My grandson's old computer" in about.text


def test_a_row_of_answers_under_the_header_is_not_taken_for_labels() -> None:
    text = (
        "Respondent ID,Collector ID,What went wrong?\n"
        "1001,77,The driver left the bags in the rain.\n"
        "1002,77,Nobody answered the phone for an hour.\n"
    )
    [table] = file_tables("plain.csv", text.encode())
    assert table.layout == "" and [n for n, _ in table.rows] == [2, 3]
    trimmed = (  # a SurveyMonkey export whose metadata columns were deleted
        "How old are you?,What went wrong?\n"
        "Response,Open-Ended Response\n"
        "25-34,The driver left the bags in the rain.\n"
    )
    [table] = file_tables("trimmed.csv", trimmed.encode())
    assert table.layout == "SurveyMonkey" and [n for n, _ in table.rows] == [3]
    assert [c.key for c in table.columns] == ["How old are you?", "What went wrong?"]

"""Survey exports written with openpyxl in the layouts of real survey tools, for the tests.

- :func:`qualtrics_xlsx`: Qualtrics' "Export data → Excel" layout: short column names, then a
  row of question texts, then a row of ``{"ImportId": ...}``, then one row per response, with
  its metadata columns (StartDate, Status, IPAddress, Duration, ResponseId...).
- :func:`google_forms_xlsx`: a Google Forms response sheet downloaded as .xlsx: a first
  ``Timestamp`` column, then one column per question titled with the question.
- :func:`surveymonkey_xlsx` and :func:`surveymonkey_csv`: SurveyMonkey's "All responses
  data" export (expanded): question texts in row 1 (a multiple-choice question's cell merged
  over its options' columns, empty in the CSV), answer labels in row 2 (``Response``,
  ``Open-Ended Response``, each option, ``Other (please specify)``), its metadata columns
  (Respondent ID, Collector ID, Start Date, End Date, IP Address, Email Address, First Name,
  Last Name, Custom Data 1) empty in row 2.

The free-text answers are real sentences (some in Japanese, Russian and Greek); IDs,
timestamps and ratings are the values that must never become quotes.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

import openpyxl

QUALTRICS_QUESTIONS = {
    "Q1": "How old are you?",
    "Q2": "What is your job?",
    "Q3": "How satisfied are you with your grocery deliveries?",
    "Q4": "How likely are you to recommend us to a friend? (0-10)",
    "Q5": "What frustrates you most about grocery delivery?",
    "Q6": "If you could change one thing about the app, what would it be?",
}
QUALTRICS_METADATA = [
    ("StartDate", "Start Date", '{"ImportId":"startDate","timezone":"America/Denver"}'),
    ("EndDate", "End Date", '{"ImportId":"endDate","timezone":"America/Denver"}'),
    ("Status", "Response Type", '{"ImportId":"status"}'),
    ("IPAddress", "IP Address", '{"ImportId":"ipAddress"}'),
    ("Progress", "Progress", '{"ImportId":"progress"}'),
    ("Duration (in seconds)", "Duration (in seconds)", '{"ImportId":"duration"}'),
    ("Finished", "Finished", '{"ImportId":"finished"}'),
    ("RecordedDate", "Recorded Date", '{"ImportId":"recordedDate","timezone":"America/Denver"}'),
    ("ResponseId", "Response ID", '{"ImportId":"_recordId"}'),
    ("UserLanguage", "User Language", '{"ImportId":"userLanguage"}'),
]
QUALTRICS_RESPONSES = [
    # ResponseId, age, job, satisfaction, NPS, frustration, change
    (
        "R_1OUVd2xQ8mY3pLk",
        34,
        "Nurse",
        "Somewhat dissatisfied",
        4,
        "The delivery slots are always gone by the time my night shift ends.",
        "Let me reserve the same morning slot every week.",
    ),
    (
        "R_2XaT9bLw0cQe7Rm",
        71,
        "Retired",
        "Neither satisfied nor dissatisfied",
        6,
        "The writing in the app is far too small and the buttons sit too close together.",
        "A phone number where a real person answers.",
    ),
    (
        "R_3kPz8WmN1sYd4Hq",
        23,
        "Student",
        "Somewhat satisfied",
        8,
        "Small orders cost almost six euros in fees, so we wait and order together.",
        "Split the bill between flatmates automatically.",
    ),
    (
        "R_4JhQ2rVb6nLx9Ws",
        41,
        "Teacher",
        "Extremely dissatisfied",
        1,
        "配達が遅れて、冷凍食品が溶けていました。",
        "Уведомление за час до доставки было бы очень полезно.",
    ),
    (
        "R_5MnB7cXz3vTq1Ke",
        29,
        "Designer",
        "Somewhat satisfied",
        9,
        "Η εφαρμογή κρύβει την τιμή ανά κιλό στο κινητό.",
        "",
    ),
]


def qualtrics_xlsx() -> bytes:
    """A Qualtrics Excel export of :data:`QUALTRICS_RESPONSES` (sheet ``Sheet0``)."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Sheet0"
    names = [m[0] for m in QUALTRICS_METADATA] + list(QUALTRICS_QUESTIONS)
    texts = [m[1] for m in QUALTRICS_METADATA] + list(QUALTRICS_QUESTIONS.values())
    imports = [m[2] for m in QUALTRICS_METADATA] + [
        f'{{"ImportId":"QID{n}"}}' if n < 5 else f'{{"ImportId":"QID{n}_TEXT"}}'
        for n in range(1, 7)
    ]
    sheet.append(names)
    sheet.append(texts)
    sheet.append(imports)
    start = datetime(2026, 3, 2, 8, 15, 0)
    for number, (rid, age, job, satisfied, nps, frustration, change) in enumerate(
        QUALTRICS_RESPONSES
    ):
        began = start + timedelta(hours=5 * number)
        ended = began + timedelta(minutes=6, seconds=13 * number)
        sheet.append(
            [
                began,
                ended,
                "IP Address",
                f"192.0.2.{10 + number}",
                100,
                int((ended - began).total_seconds()),
                True,
                ended,
                rid,
                "EN",
                age,
                job,
                satisfied,
                nps,
                frustration,
                change or None,
            ]
        )
    return _save(book)


GOOGLE_QUESTIONS = (
    "Timestamp",
    "How often do you order groceries online?",
    "What is the biggest problem with your current grocery app?",
    "How satisfied are you overall? (1 = not at all, 5 = very)",
    "Anything else you would like to tell us?",
)
GOOGLE_RESPONSES = [
    (
        "Weekly",
        "Substitutions ignore my son's nut allergy every other week.",
        2,
        "I would pay a little extra for a guaranteed morning slot.",
    ),
    ("Monthly", "The checkout keeps logging me out before I can pay.", 3, ""),
    (
        "Weekly",
        "Delivery fees punish small orders, so I only order once a month.",
        2,
        "Show the unit price on the phone app, please.",
    ),
    ("Rarely", "I never know when the driver will arrive.", 1, ""),
]


def google_forms_xlsx() -> bytes:
    """A Google Forms response sheet of :data:`GOOGLE_RESPONSES` (sheet ``Form Responses 1``)."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Form Responses 1"
    sheet.append(list(GOOGLE_QUESTIONS))
    start = datetime(2026, 4, 7, 19, 2, 11)
    for number, (often, problem, score, more) in enumerate(GOOGLE_RESPONSES):
        at = start + timedelta(hours=3 * number, minutes=7 * number)
        sheet.append([at, often, problem, score, more or None])
    return _save(book)


SURVEYMONKEY_METADATA = (
    "Respondent ID",
    "Collector ID",
    "Start Date",
    "End Date",
    "IP Address",
    "Email Address",
    "First Name",
    "Last Name",
    "Custom Data 1",
)
SURVEYMONKEY_AGE = "How old are you?"
SURVEYMONKEY_DEVICES = "Which devices do you order groceries on?"
SURVEYMONKEY_OPTIONS = ("Phone", "Tablet", "Laptop", "Other (please specify)")
SURVEYMONKEY_SATISFIED = "How satisfied are you with your grocery deliveries?"
SURVEYMONKEY_FRUSTRATION = "What frustrates you most about grocery delivery?"
SURVEYMONKEY_MORE = "Is there anything else you would like to tell us?"
SURVEYMONKEY_RESPONSES = [
    # Respondent ID, age, devices (one cell per option), satisfaction, frustration, more
    (
        "114298332019",
        "25-34",
        ("Phone", "", "Laptop", ""),
        "Very dissatisfied",
        "The driver rings once and leaves before I can get down four flights of stairs.",
        "Let me leave a note for the driver that they actually read.",
    ),
    (
        "114298332020",
        "65+",
        ("", "Tablet", "", "My grandson's old computer"),
        "Neither satisfied nor dissatisfied",
        "Die Schrift ist viel zu klein, und die Preise sind graue Zahlen.",
        "",
    ),
    (
        "114298332021",
        "18-24",
        ("Phone", "", "", ""),
        "Somewhat satisfied",
        "Fees for small baskets make us wait until the whole flat orders together.",
        "Split the bill between flatmates, please.",
    ),
    (
        "114298332022",
        "35-44",
        ("Phone", "Tablet", "", ""),
        "Very dissatisfied",
        "配達が遅れて、冷凍食品が溶けていました。",
        "A real person on the phone when an order goes wrong.",
    ),
]


def _surveymonkey_grid() -> list[list[object]]:
    """The export as rows of cells, the two header rows first."""
    first = [
        *SURVEYMONKEY_METADATA,
        SURVEYMONKEY_AGE,
        SURVEYMONKEY_DEVICES,
        *[""] * (len(SURVEYMONKEY_OPTIONS) - 1),
        SURVEYMONKEY_SATISFIED,
        SURVEYMONKEY_FRUSTRATION,
        SURVEYMONKEY_MORE,
    ]
    second = [
        *[""] * len(SURVEYMONKEY_METADATA),
        "Response",
        *SURVEYMONKEY_OPTIONS,
        "Response",
        "Open-Ended Response",
        "Open-Ended Response",
    ]
    rows: list[list[object]] = [[*first], [*second]]
    start = datetime(2026, 5, 4, 18, 30, 0)
    for number, (rid, age, devices, satisfied, frustration, more) in enumerate(
        SURVEYMONKEY_RESPONSES
    ):
        began = start + timedelta(hours=2 * number)
        rows.append(
            [
                rid,
                "431587562",
                began,
                began + timedelta(minutes=4, seconds=31 * number),
                f"198.51.100.{7 + number}",
                "",
                "",
                "",
                "",
                age,
                *devices,
                satisfied,
                frustration,
                more,
            ]
        )
    return rows


def surveymonkey_xlsx() -> bytes:
    """SurveyMonkey's Excel export of :data:`SURVEYMONKEY_RESPONSES` (sheet ``Sheet``)."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in _surveymonkey_grid():
        sheet.append([None if cell == "" else cell for cell in row])
    devices = len(SURVEYMONKEY_METADATA) + 2  # 1-based column of the devices question
    sheet.merge_cells(
        start_row=1,
        start_column=devices,
        end_row=1,
        end_column=devices + len(SURVEYMONKEY_OPTIONS) - 1,
    )
    return _save(book)


def surveymonkey_csv() -> bytes:
    """SurveyMonkey's CSV export of the same responses (UTF-8 with a BOM, as it writes it)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in _surveymonkey_grid():
        writer.writerow(
            [f"{c:%m/%d/%Y %I:%M:%S %p}" if isinstance(c, datetime) else c for c in row]
        )
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _save(book: openpyxl.Workbook) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


NAMED_SURVEY = (  # a CSV whose name and e-mail columns must never reach a model
    "respondent_id,first_name,Last Name,E-mail,Age,What is hardest about ordering?\n"
    "R1,Malik,Osei,malik@example.com,20,Malik here: the slots are gone by eight in the morning.\n"
    "R2,Dana,Okafor,dana@example.com,34,My husband orders too and the baskets get mixed up.\n"
    "R3,Oluwaseun,Adeyemi,olu@example.com,51,I ask Dana at the pharmacy when the app fails.\n"
)

"""The hostile-input suite through the readers and the CLI: every file read or refused with a
specific message, the others still read, no traceback anywhere."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from persona.cli.commands import main
from persona.cli.exits import EXIT_OK
from persona.core.errors import InputError
from persona.ingest import read_files, read_paths
from persona.ingest.archives import check_archive
from tests.fake_ollama import FakeOllama
from tests.hostile_files import Hostile, hostile_files, zip_bomb_docx

FILES = hostile_files()


def test_the_suite_is_big_and_varied() -> None:
    assert len(FILES) >= 35
    assert len({h.name for h in FILES}) == len(FILES)
    assert sum(bool(h.refused) for h in FILES) >= 15
    assert sum(not h.refused for h in FILES) >= 15


def check(reading_reports: list, files: list[Hostile]) -> None:
    by_name = {r.name: r for r in reading_reports}
    for hostile in files:
        report = by_name[hostile.name]
        if hostile.refused:
            assert not report.ok, f"{hostile.name} should be refused"
            assert hostile.refused in report.error, (hostile.name, report.error)
            assert "Traceback" not in report.error
            assert len(report.error) < 600, report.error  # a message, not a dump
        else:
            assert report.ok, f"{hostile.name} should be read: {report.error}"
        if hostile.warning:
            assert any(hostile.warning in w for w in report.warnings), report.warnings


def test_every_file_through_the_readers() -> None:
    reading = read_files([(h.name, h.data) for h in FILES])
    assert [r.name for r in reading.reports] == [h.name for h in FILES]
    check(reading.reports, FILES)
    texts = {d.name: "\n".join(p.text for p in d.passages) for d in reading.documents}
    for hostile in FILES:
        if hostile.contains:
            assert hostile.contains in texts[hostile.name], hostile.name


def test_a_refusal_names_the_file() -> None:
    reading = read_files([(h.name, h.data) for h in FILES if h.refused])
    for report in reading.reports:
        assert report.name[:40] in report.error, report.error


def test_big_cells_and_lines_are_kept_whole() -> None:
    wanted = ("big_cell.csv", "one_line_5mb.txt")
    reading = read_files([(h.name, h.data) for h in FILES if h.name in wanted])
    cell, line = (d.passages for d in reading.documents)
    assert len([p for p in cell if len(p.text) > 200_000]) == 1
    assert len(line) == 1 and len(line[0].text) == len("word " * 1_048_576) - 1


def test_the_zip_bomb_is_refused_before_unpacking() -> None:
    bomb = zip_bomb_docx(400)
    assert len(bomb) < 2_000_000  # under 2 MB on disk, 400 MB unpacked
    with pytest.raises(InputError) as refused:
        check_archive("bomb.docx", bomb, "a Word document")
    message = str(refused.value)
    assert re.search(r"would unpack to 40\d MB", message) and "not opened" in message
    assert "zip" not in message.lower() and "xml" not in message.lower()


def test_an_archive_over_the_total_limit_is_refused() -> None:
    bomb = zip_bomb_docx(3)
    with pytest.raises(InputError, match=r"would unpack to \d MB \(at most 2 MB\)"):
        check_archive("a.docx", bomb, "a Word document", max_unpacked=2 * 1024**2, max_ratio=1e9)
    summary = check_archive("a.docx", bomb, "a Word document", max_ratio=1e9)
    assert summary.unpacked_bytes > 3 * 1024**2 > summary.packed_bytes


def test_too_many_parts_are_refused() -> None:
    bomb = zip_bomb_docx(1)
    with pytest.raises(InputError, match="parts"):
        check_archive("a.docx", bomb, "a Word document", max_members=3)


def write_all(folder: Path, files: list[Hostile]) -> list[Path]:
    folder.mkdir()
    paths = []
    for hostile in files:
        path = folder / hostile.disk_name
        path.write_bytes(hostile.data)
        paths.append(path)
    return paths


def test_every_file_from_disk(tmp_path: Path) -> None:
    paths = write_all(tmp_path / "in", FILES)
    reading = read_paths(paths)
    assert [r.name for r in reading.reports] == [p.name for p in paths]
    check(
        reading.reports,
        [Hostile(h.disk_name, h.data, h.refused, h.contains, h.warning) for h in FILES],
    )


def test_every_file_through_the_cli(
    tmp_path: Path, data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    small = [h for h in FILES if h.name not in ("one_line_5mb.txt", "big_cell.csv")]
    paths = write_all(tmp_path / "in", small)
    with FakeOllama() as fake:
        code = main(
            [
                "generate",
                "--host",
                fake.url,
                "--model",
                "llama3.2:3b",
                "--out",
                str(tmp_path / "out"),
                "--count",
                "2",
                "--from",
                *map(str, paths),
            ]
        )
    captured = capsys.readouterr()
    assert code == EXIT_OK, captured.err
    assert "Traceback" not in captured.err + captured.out
    for hostile in small:
        line = next((ln for ln in captured.err.splitlines() if hostile.disk_name[:60] in ln), "")
        if hostile.refused:
            assert line.lstrip().startswith("skip") and hostile.refused in line, (
                hostile.name,
                line,
            )
        else:
            assert line.lstrip().startswith("read"), (hostile.name, line)
    exported = list((tmp_path / "out").iterdir())
    assert len(exported) == 1 and exported[0].stat().st_size > 0

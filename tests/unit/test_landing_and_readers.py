"""Landing-file names and the streaming readers (no database needed)."""

from datetime import date, datetime

import openpyxl
import pytest

from kaohe.contract import load_contract
from kaohe.landing import discover, parse_file_name
from kaohe.readers import FileRejected, open_landing_file
from tests.conftest import write_file

CONTRACT = load_contract()
DAY = date(2026, 8, 31)
PROGRESS_HEADER = "dept_code,indicator_code,as_of_date,cumulative_value,note\n"


def rows_of(path, kind="indicator_progress"):
    opened = open_landing_file(path, path.suffix[1:], CONTRACT, kind)
    return opened, list(opened.rows)


def test_file_names_give_kind_and_sender(tmp_path):
    lf = parse_file_name(tmp_path / "indicator_progress__d07.csv", DAY, CONTRACT)
    assert (lf.kind, lf.sender, lf.ext, lf.problem) == ("indicator_progress", "D07", "csv", None)
    assert parse_file_name(tmp_path / "指标进度__D07.xlsx", DAY, CONTRACT).kind == "indicator_progress"
    assert parse_file_name(tmp_path / " departments .csv", DAY, CONTRACT).kind == "departments"


@pytest.mark.parametrize("name, code", [
    ("budget_report__D03.csv", "unknown_kind"),
    ("indicator_progress__D07.xls", "unsupported_format"),
    ("indicator_progress__D07 (1).csv", "bad_sender"),
])
def test_unusable_file_names_are_reported_not_skipped(tmp_path, name, code):
    assert parse_file_name(tmp_path / name, DAY, CONTRACT).problem.startswith(code)


def test_discover_keeps_odd_names_and_ignores_hidden_files(tmp_path):
    folder = tmp_path / DAY.isoformat()
    write_file(folder, "indicator_progress__D07.csv", PROGRESS_HEADER)
    write_file(folder, "项目 进度 (final).csv", "x")
    write_file(folder, ".DS_Store", "x")
    names = sorted(f.name for f in discover(tmp_path, DAY))
    assert names == ["indicator_progress__D07.csv", "项目 进度 (final).csv"]


@pytest.mark.parametrize("encoding, bom", [("utf-8", ""), ("utf-8", "\ufeff"), ("gbk", ""), ("gb18030", "")])
def test_csv_encodings_are_detected_not_guessed(tmp_path, encoding, bom):
    text = bom + "部门代码,指标代码,统计日期,累计完成值,备注\nD07,K1-03,2026/8/5,12.5,招商引资\n"
    path = write_file(tmp_path, "indicator_progress__D07.csv", text, encoding)
    opened, rows = rows_of(path)
    assert rows[0].values == {"dept_code": "D07", "indicator_code": "K1-03", "as_of_date": "2026/8/5",
                              "cumulative_value": "12.5", "note": "招商引资"}
    assert opened.encoding == ("gb18030" if encoding != "utf-8" else "utf-8-sig")


def test_values_are_trimmed_and_formula_text_is_kept_verbatim(tmp_path):
    path = write_file(tmp_path, "p.csv", PROGRESS_HEADER + "\u3000D07 , K1-03 ,2026-08-05, 3 ,\"=cmd|' /C calc'!A0\"\n")
    _, rows = rows_of(path)
    assert rows[0].values["dept_code"] == "D07"
    assert rows[0].values["note"] == "=cmd|' /C calc'!A0"
    assert rows[0].number == 2  # spreadsheet row: header is row 1


@pytest.mark.parametrize("content, code", [
    (b"", "empty"),
    (PROGRESS_HEADER.encode(), "header_only"),
    (b"\x00\x01\x02garbage\xff\xfe" * 50, "not_text"),
    (b"\xff\xfe\xfa\x80 not text" * 10, "encoding"),
    ("dept_code;indicator_code;as_of_date;cumulative_value\nD07;K1-03;2026-08-05;3\n".encode(), "missing_columns"),
    (b"dept_code,indicator_code\nD07,K1-03\n", "missing_columns"),
])
def test_unusable_files_are_rejected_whole_with_a_reason(tmp_path, content, code):
    path = tmp_path / "indicator_progress__D07.csv"
    path.write_bytes(content)
    with pytest.raises(FileRejected) as err:
        rows_of(path)
    assert err.value.reason.startswith(code)


def test_wrong_delimiter_is_explained(tmp_path):
    path = write_file(tmp_path, "p.csv", "dept_code;indicator_code;as_of_date;cumulative_value\nD07;K1-03;2026-08-05;3\n")
    with pytest.raises(FileRejected, match="semicolons"):
        rows_of(path)


def test_a_truncated_file_keeps_its_good_rows_and_flags_the_broken_one(tmp_path):
    path = write_file(tmp_path, "p.csv", PROGRESS_HEADER + "D07,K1-03,2026-08-05,3,ok\nD07,K1-04,2026-08-05,4,\"cut of")
    _, rows = rows_of(path)
    assert rows[0].problem is None
    assert rows[1].problem and rows[1].problem.startswith("field_count")


def test_unknown_extra_columns_are_kept_aside(tmp_path):
    path = write_file(tmp_path, "p.csv", "dept_code,indicator_code,as_of_date,cumulative_value,remark2\nD07,K1-03,2026-08-05,3,x\n")
    _, rows = rows_of(path)
    assert rows[0].extra == {"remark2": "x"}


def test_xlsx_first_sheet_with_excel_dates_and_numbers(tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["部门代码", "指标代码", "统计日期", "累计完成值"])
    sheet.append(["D07", "K1-03", datetime(2026, 8, 5), 12.0])
    sheet.append(["D07", "K1-04", datetime(2026, 8, 5), 0.25])
    workbook.create_sheet("ignored").append(["nothing"])
    path = tmp_path / "indicator_progress__D07.xlsx"
    workbook.save(path)
    _, rows = rows_of(path)
    assert [r.values["as_of_date"] for r in rows] == ["2026-08-05", "2026-08-05"]
    assert [r.values["cumulative_value"] for r in rows] == ["12", "0.25"]


def test_unreadable_xlsx_is_rejected(tmp_path):
    path = tmp_path / "indicator_progress__D07.xlsx"
    path.write_bytes(b"PK\x03\x04 this is not a real workbook")
    with pytest.raises(FileRejected, match="unreadable"):
        rows_of(path)


def test_xlsx_rows_may_leave_trailing_cells_out(tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["dept_code", "indicator_code", "as_of_date", "cumulative_value", "note"])
    sheet.append(["D07", "K1-03", "2026-08-05", 3])  # no note cell at all
    path = tmp_path / "indicator_progress__D07.xlsx"
    workbook.save(path)
    _, rows = rows_of(path)
    assert rows[0].problem is None and rows[0].values["note"] is None

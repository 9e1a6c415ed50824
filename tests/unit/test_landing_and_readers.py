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


@pytest.mark.parametrize(
    "name, code",
    [
        ("budget_report__D03.csv", "unknown_kind"),
        ("indicator_progress__D07.xls", "unsupported_format"),
        ("indicator_progress__D07 (1).csv", "bad_sender"),
    ],
)
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
    assert rows[0].values == {
        "dept_code": "D07",
        "indicator_code": "K1-03",
        "as_of_date": "2026/8/5",
        "cumulative_value": "12.5",
        "note": "招商引资",
    }
    assert opened.encoding == ("gb18030" if encoding != "utf-8" else "utf-8-sig")


def test_values_are_trimmed_and_formula_text_is_kept_verbatim(tmp_path):
    path = write_file(tmp_path, "p.csv", PROGRESS_HEADER + "\u3000D07 , K1-03 ,2026-08-05, 3 ,\"=cmd|' /C calc'!A0\"\n")
    _, rows = rows_of(path)
    assert rows[0].values["dept_code"] == "D07"
    assert rows[0].values["note"] == "=cmd|' /C calc'!A0"
    assert rows[0].number == 2  # spreadsheet row: header is row 1


@pytest.mark.parametrize(
    "content, code",
    [
        (b"", "empty"),
        (PROGRESS_HEADER.encode(), "header_only"),
        (b"\x00\x01\x02garbage\xff\xfe" * 50, "not_text"),
        (b"\xff\xfe\xfa\x80 not text" * 10, "encoding"),
        (b"dept_code;indicator_code;as_of_date;cumulative_value\nD07;K1-03;2026-08-05;3\n", "missing_columns"),
        (b"dept_code,indicator_code\nD07,K1-03\n", "missing_columns"),
    ],
)
def test_unusable_files_are_rejected_whole_with_a_reason(tmp_path, content, code):
    path = tmp_path / "indicator_progress__D07.csv"
    path.write_bytes(content)
    with pytest.raises(FileRejected) as err:
        rows_of(path)
    assert err.value.reason.startswith(code)


def test_wrong_delimiter_is_explained(tmp_path):
    path = write_file(
        tmp_path, "p.csv", "dept_code;indicator_code;as_of_date;cumulative_value\nD07;K1-03;2026-08-05;3\n"
    )
    with pytest.raises(FileRejected, match="semicolons"):
        rows_of(path)


def test_a_truncated_file_keeps_its_good_rows_and_flags_the_broken_one(tmp_path):
    path = write_file(tmp_path, "p.csv", PROGRESS_HEADER + 'D07,K1-03,2026-08-05,3,ok\nD07,K1-04,2026-08-05,4,"cut of')
    _, rows = rows_of(path)
    assert rows[0].problem is None
    assert rows[1].problem and rows[1].problem.startswith("field_count")


def test_unknown_extra_columns_are_kept_aside(tmp_path):
    path = write_file(
        tmp_path, "p.csv", "dept_code,indicator_code,as_of_date,cumulative_value,remark2\nD07,K1-03,2026-08-05,3,x\n"
    )
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


# --- limits (settings.input_limits): past one the file is rejected whole, before or while it is read -----------


def test_a_header_wider_than_the_column_limit_is_rejected(tmp_path, monkeypatch):
    wide = PROGRESS_HEADER.strip() + "".join(f",extra{i}" for i in range(300)) + "\n"
    path = write_file(tmp_path, "p.csv", wide + "D07,K1-03,2026-08-05,3,ok" + ",x" * 300 + "\n")
    with pytest.raises(FileRejected, match=r"^too_many_columns: the header has 305 columns, more than the 200"):
        rows_of(path)
    monkeypatch.setenv("KAOHE_MAX_COLUMNS", "400")
    assert len(rows_of(path)[1]) == 1
    # trailing blank header cells (a trailing separator, a formatted column) are not columns
    monkeypatch.setenv("KAOHE_MAX_COLUMNS", "5")
    path = write_file(tmp_path, "q.csv", PROGRESS_HEADER.strip() + "," * 50 + "\nD07,K1-03,2026-08-05,3,ok" + "," * 50)
    assert len(rows_of(path)[1]) == 1


def test_a_file_over_the_size_limit_is_rejected_unread_by_name(tmp_path, monkeypatch):
    folder = tmp_path / DAY.isoformat()
    write_file(folder, "indicator_progress__D07.csv", PROGRESS_HEADER + "D07,K1-03,2026-08-05,3,ok\n" * 100)
    monkeypatch.setenv("KAOHE_MAX_FILE_BYTES", "1000")
    (found,) = discover(tmp_path, DAY, CONTRACT)
    assert found.problem.startswith("too_large: the file is 2,6")
    assert "bytes, more than the 1,000 bytes a file may have (KAOHE_MAX_FILE_BYTES)" in found.problem
    assert found.checksum().startswith("size:2")  # a fingerprint: the file is not read whole
    monkeypatch.setenv("KAOHE_MAX_FILE_BYTES", "512MB")
    with pytest.raises(ValueError, match="KAOHE_MAX_FILE_BYTES must be a positive whole number"):
        discover(tmp_path, DAY, CONTRACT)


@pytest.mark.parametrize(
    "body, code",
    [
        ("D07,K1-03,2026-08-05,3," + "x" * 2_000 + "\n", "line_too_long: line 2 of the file"),
        ('D07,K1-03,2026-08-05,3,"' + "x\n" * 1_000 + '"\n', "field_too_large"),  # a quoted value over many lines
        ('D07,K1-03,2026-08-05,3,"never closed\n' + "D07,K1-04,2026-08-05,3,ok\n" * 100, "field_too_large"),
    ],
)
def test_a_value_or_line_over_the_length_limit_is_rejected(tmp_path, monkeypatch, body, code):
    monkeypatch.setenv("KAOHE_MAX_FIELD_CHARS", "1000")
    path = write_file(tmp_path, "p.csv", PROGRESS_HEADER + body)
    with pytest.raises(FileRejected) as err:
        rows_of(path)
    assert err.value.reason.startswith(code) and "KAOHE_MAX_FIELD_CHARS" in err.value.reason


def test_utf16_text_is_named_as_such(tmp_path):
    path = tmp_path / "p.csv"
    path.write_bytes(PROGRESS_HEADER.encode("utf-16"))
    with pytest.raises(FileRejected, match="^encoding: the file is UTF-16 text"):
        rows_of(path)


def test_gbk_text_behind_a_utf8_mark_is_named_as_such(tmp_path):
    path = tmp_path / "p.csv"
    path.write_bytes(b"\xef\xbb\xbf" + (PROGRESS_HEADER + "D07,K1-03,2026-08-05,3,进度正常\n").encode("gbk"))
    with pytest.raises(FileRejected, match="^encoding: the file starts with a UTF-8 mark"):
        rows_of(path)


def zip_bomb_xlsx(path, unpacked_mb: int):
    """A real workbook plus a member that deflates tiny and unpacks to unpacked_mb (zeros)."""
    import zipfile

    workbook = openpyxl.Workbook()
    workbook.active.append(["dept_code", "indicator_code", "as_of_date", "cumulative_value"])
    workbook.active.append(["D07", "K1-03", "2026-08-05", 3])
    workbook.save(path)
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        with archive.open("xl/media/padding.bin", "w", force_zip64=True) as member:
            for _ in range(unpacked_mb):
                member.write(bytes(1 << 20))
    return path


def test_an_xlsx_that_unpacks_past_the_size_limit_is_rejected_before_it_is_opened(tmp_path, monkeypatch):
    path = zip_bomb_xlsx(tmp_path / "indicator_progress__D07.xlsx", 20)
    assert path.stat().st_size < 100_000
    assert len(rows_of(path)[1]) == 1  # under the default limit it loads
    monkeypatch.setenv("KAOHE_MAX_FILE_BYTES", str(10 << 20))
    with pytest.raises(FileRejected, match=r"^too_large: the .xlsx file unpacks to 20 MB, more than the 10 MB"):
        rows_of(path)


def test_an_xlsx_cell_over_the_length_limit_or_a_stated_huge_sheet(tmp_path, monkeypatch):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["dept_code", "indicator_code", "as_of_date", "cumulative_value", "note"])
    sheet.append(["D07", "K1-03", "2026-08-05", 3, "y" * 2_000])
    sheet["A1048576"] = "far away"  # one cell at Excel's last row: the rows between are not padded out
    path = tmp_path / "indicator_progress__D07.xlsx"
    workbook.save(path)
    assert [r.number for r in rows_of(path)[1]] == [2, 1048576]
    monkeypatch.setenv("KAOHE_MAX_FIELD_CHARS", "1000")
    with pytest.raises(FileRejected, match="^field_too_large: a cell holds more than 1,000 characters"):
        rows_of(path)

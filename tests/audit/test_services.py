"""The audit export's cells: nothing in them runs as a spreadsheet formula."""

import pytest

from training.admin.services import build_audit_csv
from training.spreadsheets import safe_cell


@pytest.mark.parametrize("cell", ["=SUM(A1)", "+1", "-1", "@A1", "\tx", "\rx"])
def test_cell_a_spreadsheet_would_run_gets_a_quote(cell):
    assert safe_cell(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["김하나", "2026-03-02", "", "a=b"])
def test_plain_cell_is_kept(cell):
    assert safe_cell(cell) == cell


def test_csv_starts_with_a_byte_order_mark_and_defuses_every_cell():
    content = build_audit_csv(["때"], [["=1", "ok"]])

    assert content == "\ufeff때\r\n'=1,ok\r\n".encode()


@pytest.mark.parametrize("value", [-2, 3.5, 0])
def test_number_stays_a_number(value):
    assert safe_cell(value) == value

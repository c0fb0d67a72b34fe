"""The audit export's cells: nothing in them runs as a spreadsheet formula."""

import pytest

from training.admin.services import build_audit_csv, neutralize


@pytest.mark.parametrize("cell", ["=SUM(A1)", "+1", "-1", "@A1", "\tx", "\rx"])
def test_cell_a_spreadsheet_would_run_gets_a_quote(cell):
    assert neutralize(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["김하나", "2026-03-02", "", "a=b"])
def test_plain_cell_is_kept(cell):
    assert neutralize(cell) == cell


def test_csv_starts_with_a_byte_order_mark_and_defuses_every_cell():
    content = build_audit_csv(["때"], [["=1", "ok"]])

    assert content == "\ufeff때\r\n'=1,ok\r\n".encode()

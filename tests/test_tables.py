"""Tests of the Markdown table renderer."""

import pytest

import descramble_lib as dl


def test_markdown_table_layout():
    """Header, alignment row (text left, numbers right) and formatted cells."""
    table = dl.utils.markdown_table(["name", "value"], [["a", 1.23456], ["b|c", 2.0]],
                              formats=[None, ".2f"])
    lines = table.splitlines()
    assert lines[0] == "| name | value |"
    assert lines[1] == "|:---|---:|"
    assert lines[2] == "| a | 1.23 |"
    assert lines[3] == r"| b\|c | 2.00 |"


def test_markdown_table_without_formats_uses_str():
    """Without formats every cell is str(value)."""
    assert dl.utils.markdown_table(["x"], [[3]]).splitlines()[2] == "| 3 |"


@pytest.mark.parametrize("header, rows, formats", [([], [], None), (["a", "b"], [[1]], None),
                                                   (["a"], [[1]], [".2f", None])])
def test_markdown_table_rejects_bad_shapes(header, rows, formats):
    """Empty header, ragged rows or a wrong number of formats raise ValueError."""
    with pytest.raises(ValueError):
        dl.utils.markdown_table(header, rows, formats=formats)

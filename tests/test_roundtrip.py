"""The chapters read the same live in JupyterLab as in the built book, and saving one unedited
in JupyterLab changes nothing.

* Round trip: every chapter ``notebooks/*.md`` is committed exactly as jupytext writes it back
  when JupyterLab saves it after a run: with the kernelspec of Lab's ``python3`` kernel,
  ``language_info``, cell ids, execution metadata and the results of MyST inline expressions
  (which jupyterlab-myst stores in each Markdown cell's metadata) in the notebook, and the
  project's ``jupytext.toml`` deciding what reaches the text. ``tools/lab_test.py`` checks the
  same in a real JupyterLab.
* Math macros: ``_config.yml`` defines them once, for the built book. jupyterlab-myst reads
  macros only from the front matter of a notebook's first Markdown cell, so each chapter
  starts with a cell tagged ``remove-cell`` (the book skips it) holding a copy of them.
* Prose values: one mechanism, MyST inline expressions ``{eval}`name``` (myst-nb's inline
  execution builds them, jupyterlab-myst evaluates them live); no ``glue``. The build
  evaluates an expression where it stands and JupyterLab after the run, so each name is
  assigned once, above its first use.

``python tests/test_roundtrip.py notebooks/NN_chapter.md`` writes a chapter in this form (adds
the front-matter cell if it is missing, then the exact text jupytext writes).
"""

from __future__ import annotations

import copy
import difflib
import re
from pathlib import Path

import jupytext
import numpy as np
import pytest
import yaml
from jupytext.config import load_jupytext_configuration_file

import descramble_lib as dl

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "notebooks").glob("*.md"))
FORMAT = {"extension": ".md", "format_name": "myst"}
# What JupyterLab 4 puts into the notebook metadata when the chapter runs on the venv's
# ipykernel, in the key order Lab sends it.
LAB_KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
LAB_LANGUAGE_INFO = {"codemirror_mode": {"name": "ipython", "version": 3},
                     "file_extension": ".py", "mimetype": "text/x-python", "name": "python",
                     "nbconvert_exporter": "python", "pygments_lexer": "ipython3",
                     "version": "3.11"}
EVAL_ROLE = re.compile(r"\{eval\}`([^`]*)`")


def _config():
    return load_jupytext_configuration_file(str(ROOT / "jupytext.toml"))


def as_jupyterlab_saves(text: str) -> str:
    """The text jupytext writes when JupyterLab saves this chapter after Run All, unedited."""
    config = _config()
    notebook = jupytext.reads(text, fmt=FORMAT)
    notebook.metadata["kernelspec"] = dict(LAB_KERNELSPEC)
    notebook.metadata["language_info"] = copy.deepcopy(LAB_LANGUAGE_INFO)
    notebook.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    for index, cell in enumerate(notebook.cells):
        cell["id"] = f"{index:08x}"
        cell.metadata["trusted"] = True
        if cell.cell_type == "markdown":
            cell.metadata["user_expressions"] = [
                {"expression": name, "result": {"status": "ok", "data": {"text/plain": "1"},
                                                "metadata": {}}}
                for name in EVAL_ROLE.findall(cell.source)]
        elif cell.cell_type == "code":
            cell.metadata["execution"] = {"iopub.status.busy": "2026-01-01T00:00:00Z"}
            # A cell that runs gets its outputs shown again: Lab drops outputs_hidden
            # (source_hidden, a collapsed input, stays).
            cell.metadata.get("jupyter", {}).pop("outputs_hidden", None)
            if cell.metadata.get("jupyter") == {}:
                del cell.metadata["jupyter"]
    fmt = dict(FORMAT)
    config.set_default_format_options(fmt)
    return jupytext.writes(notebook, fmt=fmt, config=config)


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda path: path.name)
def test_saving_a_chapter_unedited_changes_nothing(path):
    text = path.read_text(encoding="utf-8")
    saved = as_jupyterlab_saves(text)
    if saved != text:
        diff = "".join(list(difflib.unified_diff(text.splitlines(True), saved.splitlines(True),
                                                 "committed", "as JupyterLab saves it", n=1))[:60])
        pytest.fail(f"{path.name} is not in the form jupytext writes; write it with jupytext "
                    f"(see tests/test_roundtrip.py) or fix these lines:\n{diff}")


def test_the_project_config_filters_what_jupyterlab_adds():
    """Without the filters of jupytext.toml the version fields and expression results leak in."""
    config = _config()
    assert "jupytext_version" in config.notebook_metadata_filter
    assert "user_expressions" in config.cell_metadata_filter
    text = (ROOT / "notebooks" / "02_large_data_limit.md").read_text(encoding="utf-8")
    saved = as_jupyterlab_saves(text)
    assert "jupytext_version" not in saved and "user_expressions" not in saved
    assert "language_info" not in saved and "widgets" not in saved


def config_macros() -> dict[str, str]:
    """The math macros of the built book (``_config.yml``), as MyST front matter spells them."""
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    macros = config["sphinx"]["config"]["mathjax3_config"]["tex"]["macros"]
    assert all(isinstance(body, str) for body in macros.values()), "macros with arguments"
    return {"\\" + name: body for name, body in macros.items()}


def front_matter_cell() -> str:
    """The first cell every chapter starts with (copy it into a new chapter)."""
    lines = [f"  '{name}': '{body}'" for name, body in config_macros().items()]
    return "\n".join(["+++ {\"tags\": [\"remove-cell\"]}", "", "---",
                      "# Math macros for live rendering (jupyterlab-myst reads them here);",
                      "# a copy of those in _config.yml, checked by tests/test_roundtrip.py.",
                      "math:", *lines, "---", "", "+++", ""])


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda path: path.name)
def test_each_chapter_carries_the_macros_of_the_book_for_live_rendering(path):
    notebook = jupytext.read(path)
    first = notebook.cells[0]
    assert first.cell_type == "markdown" and "remove-cell" in first.metadata.get("tags", []), (
        f"{path.name} must start with the front-matter cell:\n{front_matter_cell()}")
    match = re.fullmatch(r"---\n(.*?)\n---\s*", first.source, re.DOTALL)
    assert match, f"the first cell of {path.name} is not YAML front matter"
    assert yaml.safe_load(match.group(1)) == {"math": config_macros()}, (
        f"the macros of {path.name} differ from _config.yml; the cell should read:\n"
        f"{front_matter_cell()}")
    assert front_matter_cell() in path.read_text(encoding="utf-8")


def assigned_names(code: str) -> list[str]:
    """Names bound by plain assignments ``a = ...`` / ``a, b = ...`` in ``code``, with repeats."""
    names = []
    for line in code.splitlines():
        match = re.match(r"^\s*([A-Za-z_][\w\s,]*?)\s*=(?!=)", line)
        if match:
            names += [name.strip() for name in match.group(1).split(",") if name.strip()]
    return names


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda path: path.name)
def test_prose_values_come_from_inline_expressions_only(path):
    """{eval}`name` is evaluated where the prose stands in the build (inline execution) and
    after the run live, so ``name`` must be a plain variable bound once, above its first use."""
    text = path.read_text(encoding="utf-8")
    assert "{glue" not in text and "glue(" not in text and "import glue" not in text, (
        f"{path.name} uses glue; the book's one mechanism is {{eval}}`name`")
    notebook = jupytext.reads(text, fmt=FORMAT)
    if EVAL_ROLE.search(text):
        mode = notebook.metadata.get("mystnb", {}).get("execution_mode")
        assert mode == "inline", (f"{path.name} uses {{eval}}: its front matter needs "
                                  "mystnb: execution_mode: inline")
    bound: dict[str, int] = {}
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "code":
            for name in assigned_names(cell.source):
                bound[name] = bound.get(name, 0) + 1
        elif cell.cell_type == "markdown":
            for name in EVAL_ROLE.findall(cell.source):
                assert re.fullmatch(r"[a-zA-Z][a-zA-Z0-9_]*", name), (
                    f"{path.name}: {{eval}}`{name}` is not a plain variable name")
                assert name in bound, (f"{path.name}, cell {index}: {{eval}}`{name}` is used "
                                       "before a code cell above assigns it")
    for name in set(EVAL_ROLE.findall(text)):
        assert bound.get(name) == 1, (f"{path.name}: {name} is assigned {bound.get(name)} "
                                      "times; a value shown in the prose is assigned once")


def test_shown_prints_the_formatted_value():
    assert repr(dl.utils.shown(np.float64(0.93123), ".2f")) == "0.93"
    assert repr(dl.utils.shown(np.int64(1024))) == "1024"
    assert repr(dl.utils.shown("even")) == "even"  # no quotes
    assert str(dl.utils.shown(3e-7, ".1e")) == "3.0e-07"
    assert f"{dl.utils.shown(2.5, '.1f')}" == "2.5" and f"{dl.utils.shown(2.5, '.1f'):.3f}" == "2.500"
    with pytest.raises(ValueError):
        dl.utils.shown("text", ".2f")
    with pytest.raises(TypeError):
        dl.utils.shown(1.0, 2)


def test_shown_gives_only_plain_text_to_jupyter():
    from IPython.core.formatters import DisplayFormatter

    data, _ = DisplayFormatter().format(dl.utils.shown(np.float64(1234.5678), ",.1f"))
    assert data == {"text/plain": "1,234.6"}


def write_as_jupyterlab_saves(path: Path) -> bool:
    """Give a chapter the live form: the front-matter cell if missing, then the exact text
    jupytext writes from JupyterLab. Returns whether the file changed."""
    text = path.read_text(encoding="utf-8")
    new = text
    if front_matter_cell() not in new:
        assert new.startswith("---\n"), f"{path} has no YAML header"
        end = new.index("\n---\n", 4) + len("\n---\n")
        new = new[:end] + "\n" + front_matter_cell() + "\n" + new[end:].lstrip("\n")
    new = as_jupyterlab_saves(new)
    assert as_jupyterlab_saves(new) == new, f"{path}: jupytext's form is not stable"
    if new != text:
        path.write_text(new, encoding="utf-8")
    return new != text


if __name__ == "__main__":
    # python tests/test_roundtrip.py notebooks/12_your_own_network.md ...: write each chapter
    # in the form the tests above expect (front-matter cell, jupytext's exact text).
    import sys

    for name in sys.argv[1:]:
        changed = write_as_jupyterlab_saves(Path(name))
        print(f"{name}: {'rewritten' if changed else 'already in jupytext form'}")

"""Tests of the browser test's checking logic (tools/browser_test.py) that need no browser.

The browser itself runs separately: ``python tools/browser_test.py --self-test`` (a broken
hand-made page must fail every check) and ``python tools/browser_test.py _build/html``.
"""

import sys
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import browser_test  # noqa: E402

CLEAN_FACTS = dict(brokenImages=[], nImages=2, texts=["Plain prose costs $5."], mathTotal=3,
                   untypesetMath=[], mathErrors=[], errorAreas=[], stderrErrors=[],
                   tracebackText=False, downloadButton=True, downloadHref="x.md")


@pytest.mark.parametrize("text", [r"$$ x^2 $$", r"inline \(a\)", r"\[ b \]", r"\begin{align}",
                                  r"cost $\eta(P)$", r"left \) over"])
def test_raw_tex_is_found(text):
    """Each kind of TeX delimiter left in visible text is reported."""
    assert browser_test.raw_tex_fragments(["Some words. " + text + " More."])


@pytest.mark.parametrize("text", ["costs $5 and $6", r"C:\temp\new", "a (b) [c] {d}", ""])
def test_plain_text_is_not_tex(text):
    """Dollar amounts, paths and brackets are not mistaken for TeX."""
    assert browser_test.raw_tex_fragments([text]) == []


def test_only_the_exact_theme_message_is_allowed():
    """The theme's invalid-mode message passes verbatim; variants and other errors do not."""
    allowed = browser_test.is_allowed_console_error
    assert allowed("Got invalid theme mode: null. Resetting to auto.")
    assert allowed("Got invalid theme mode: undefined. Resetting to auto.")
    for text in ["Got invalid theme mode: null. Resetting to auto. And more",
                 "Error: Got invalid theme mode: null. Resetting to auto.",
                 "Got invalid theme mode", "Uncaught ReferenceError: x is not defined",
                 "Failed to load resource: net::ERR_FAILED"]:
        assert not allowed(text), text


@pytest.mark.parametrize("url, local", [
    ("http://127.0.0.1:8123/book/intro.html", True), ("http://localhost:80/x.js", True),
    ("data:image/png;base64,AAAA", True), ("about:blank", True),
    ("https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-chtml.js", False),
    ("http://localhost.example.com/x", False), ("http://127.0.0.1.nip.io/x", False),
    ("https://unpkg.com/thebe@0.8.2/lib/index.js", False),
])
def test_only_local_requests_pass(url, local):
    """Requests to the local server and inline data stay; every other host is blocked."""
    assert browser_test.is_local(url) is local


def test_clean_facts_give_no_problem():
    """A page with everything typeset, loaded and in place has no problem."""
    assert browser_test.problems_from(CLEAN_FACTS, notebook=True) == []


@pytest.mark.parametrize("change, expected", [
    (dict(brokenImages=["fig.png"]), "image did not load: fig.png"),
    (dict(texts=[r"where $$ x $$ is"]), "raw TeX"),
    (dict(untypesetMath=[r"\(x\)"]), "1 of 3 math elements not typeset"),
    (dict(mathErrors=["Undefined control sequence \\foo"]), "MathJax error"),
    (dict(errorAreas=["Traceback ... ValueError"]), "cell error output"),
    (dict(stderrErrors=["RuntimeError: boom"]), "stderr output"),
    (dict(tracebackText=True), "Traceback"),
    (dict(downloadButton=False), "no download button"),
    (dict(downloadHref=None), "no source-file link"),
])
def test_each_problem_is_reported(change, expected):
    """Every kind of fault in the collected facts becomes a problem message."""
    problems = browser_test.problems_from({**CLEAN_FACTS, **change}, notebook=True)
    assert len(problems) == 1 and expected in problems[0]


def test_download_button_is_required_on_notebook_pages_only():
    """Pages that are not notebooks (intro, bibliography) need no download button."""
    facts = {**CLEAN_FACTS, "downloadButton": False, "downloadHref": None}
    assert browser_test.problems_from(facts, notebook=False) == []


def test_toc_pages_lists_every_entry_and_marks_notebooks():
    """Every _toc.yml entry is a page; chapters in notebooks/ are notebooks, book/ pages are not."""
    pages = dict(browser_test.toc_pages(ROOT / "_toc.yml", ROOT))
    assert pages["book/intro"] is False and pages["book/bibliography"] is False
    chapters = [name for name in pages if name.startswith("notebooks/")]
    assert chapters and all(pages[name] for name in chapters)


def test_server_serves_the_folder_on_a_free_local_port(tmp_path):
    """The local server answers with the folder's files on 127.0.0.1."""
    (tmp_path / "page.html").write_text("<p>hello</p>")
    with browser_test.serve(tmp_path) as base:
        assert base.startswith("http://127.0.0.1:")
        with urllib.request.urlopen(base + "page.html", timeout=10) as response:
            assert response.read() == b"<p>hello</p>"

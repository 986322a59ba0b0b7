"""Work through every chapter live in a real JupyterLab, as a reader would, and fail on what they would see.

Usage::

    python tools/lab_test.py                              # every chapter of _toc.yml in notebooks/
                                                          # (less NOT_YET_CONVERTED, if
                                                          # tests/test_roundtrip.py lists any)
    python tools/lab_test.py notebooks/02_large_data_limit.md [...]
    python tools/lab_test.py --self-test                  # the checker must flag a broken chapter

JupyterLab (from ``requirements-live.txt``, with the project's ``lab/overrides.json`` installed
by ``make lab-install``) is started by this script on 127.0.0.1 at a free port, on a temporary
copy of the chapters and ``jupytext.toml`` (the book's other folders, such as ``data/``, linked
beside them), with its settings, workspaces, Jupyter config and
data folders in a temporary home, so nothing of the user's or of the work tree is read or
written. Debian's Chromium (``/usr/bin/chromium``) drives it through Playwright; every request
to another host fails (no name resolves but 127.0.0.1 and localhost) and is reported.

For each chapter the script double-clicks it in the file browser (the default viewer must open
it as a notebook), runs all cells from the Run menu, waits for the kernel, and fails on

* a chapter that did not open as a notebook, or a run that did not finish;
* a cell error (an error output or a traceback);
* raw MyST markup in the rendered Markdown cells (``{glue``, ``{prf:``, ``:label:``, ``{eval``,
  any other ``{role}``\\` or directive fence) or a Markdown cell left unrendered;
* math that KaTeX or MathJax could not typeset (an undefined macro, a parse error);
* a MyST inline expression ``{eval}`name``` that was not evaluated or gave an error (the prose
  would miss a number): read from the cell metadata of the saved notebook;
* on a chapter that imports ipywidgets: no widget, or a widget whose output does not change
  when its first control is moved (and its Redraw button, if any, pressed);
* a chapter whose ``.md`` changes when it is saved (Ctrl+S) after the run.

Cross-references to other chapters cannot resolve in a single notebook; they are counted, not
failed. Screenshots (top of the chapter after the run, first widget) go to
``_build/lab-screenshots/``. Prints the wall time; exits 1 and lists the problems, chapter by
chapter, if there are any.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from browser_test import CHROMIUM, CHROMIUM_ARGS, is_local
from check_site import toc_files

VIEWPORT = {"width": 1400, "height": 900}
START_TIMEOUT_S = 120
OPEN_TIMEOUT_MS = 60_000
RUN_TIMEOUT_S = 1500          # a chapter that trains DEERNets on a cold cache takes minutes
WIDGET_TIMEOUT_S = 240
# Raw MyST left in rendered text: the four, any {role}` and directive fences.
RAW_MYST = re.compile(r"\{glue|\{prf:|:label:|\{eval|\{[a-z][\w:-]*\}`|```\{|:::\{")
MATH_ERROR = re.compile(r"Undefined control sequence|KaTeX parse error|ParseError|"
                        r"Math input error|Misplaced|Missing (argument|open brace)")
# Roles and directives of the chapters that jupyterlab-myst renders (checked by eye in
# JupyterLab 4.6 with jupyterlab-myst 2.7). Any other role renders as its bare content (a glue
# role shows its key), so a Markdown cell using one fails; a directive it does not know shows
# an "Unknown Directive" box, which fails too.
LIVE_ROLES = frozenset({"eval", "prf:ref", "doc", "numref", "eq", "ref", "cite:t", "cite:p",
                        "math", "sub", "sup", "abbr", "term", "download"})
SOURCE_ROLE = re.compile(r"\{([a-z][\w:-]*)\}`")
# Settings of the temporary user: no news prompt (a request to another host) over the page.
USER_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings":
        {"fetchNews": "false", "checkForUpdates": False},
}

# Runs in the page: facts about the notebook in the current tab, as plain data.
_COLLECT_JS = r"""
() => {
  const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
  if (!panel) return null;
  const cells = Array.from(panel.querySelectorAll('.jp-Notebook-cell'));
  const markdown = cells.filter(c => c.classList.contains('jp-MarkdownCell'));
  const textOf = el => {
    const copy = el.cloneNode(true);
    copy.querySelectorAll('code, pre, .katex, mjx-container, script, style').forEach(e => e.remove());
    return copy.textContent;
  };
  const rendered = markdown.map(c => c.querySelector('.myst'));
  const errors = [];
  panel.querySelectorAll('.jp-OutputArea-output').forEach(out => {
    const mime = out.getAttribute('data-mime-type') || '';
    const text = out.textContent || '';
    if (mime === 'application/vnd.jupyter.error' ||
        (mime === 'application/vnd.jupyter.stderr' &&
         /Traceback \(most recent call last\)|^\s*\w+(Error|Exception): /m.test(text)))
      errors.push(text.slice(0, 300));
  });
  const mathErrors = [];
  panel.querySelectorAll('.katex-error, mjx-merror, [data-mjx-error], .myst [title]').forEach(el => {
    const text = (el.getAttribute('title') || '') + ' ' + (el.getAttribute('data-mjx-error') || '')
               + (el.classList.contains('katex-error') || el.tagName === 'MJX-MERROR' ? el.textContent : '');
    if (/Undefined control sequence|KaTeX|ParseError|Math input error|Misplaced/.test(text))
      mathErrors.push(text.trim().slice(0, 160));
  });
  const unknown = Array.from(panel.querySelectorAll('.myst details, .myst aside, .myst div'))
      .filter(el => /Unknown (Directive|Role)/.test(
          (el.querySelector('summary, .myst-admonition-header, header') || el).textContent))
      .map(el => el.textContent.trim().slice(0, 120));
  return {
    nCells: cells.length,
    unknownMarkup: Array.from(new Set(unknown)),
    nMarkdown: markdown.length,
    unrendered: rendered.filter(r => r === null).length,
    texts: rendered.filter(r => r !== null).map(textOf),
    errors: errors,
    mathErrors: mathErrors,
    expressionErrors: Array.from(panel.querySelectorAll('.myst [data-mime-type="application/vnd.jupyter.stderr"]'))
        .map(e => e.textContent.slice(0, 160)),
    unresolvedRefs: Array.from(panel.querySelectorAll('.myst [title="Cross Reference Not Found"]'))
        .map(e => e.textContent.trim()),
    busyPrompts: Array.from(panel.querySelectorAll('.jp-InputPrompt'))
        .filter(p => p.textContent.includes('*')).length,
    // Code cells whose input is shown (a collapsed input, e.g. an exercise solution, shows a
    // placeholder without the execution count) and how many of them show a count [n].
    executedPrompts: Array.from(panel.querySelectorAll('.jp-CodeCell'))
        .filter(c => !c.querySelector('.jp-InputPlaceholder'))
        .filter(c => /\[\d+\]/.test((c.querySelector('.jp-InputPrompt') || {}).textContent || '')).length,
    codeCells: Array.from(panel.querySelectorAll('.jp-CodeCell'))
        .filter(c => !c.querySelector('.jp-InputPlaceholder')).length,
    hiddenInputs: panel.querySelectorAll('.jp-CodeCell .jp-InputPlaceholder').length,
    kernel: (panel.querySelector('.jp-Notebook-ExecutionIndicator') || {}).dataset?.status || null,
    widgets: panel.querySelectorAll('.jp-OutputArea-output .jupyter-widgets').length,
  };
}
"""

# The first widget area of the notebook: its controls, and a signature of what it shows.
_WIDGET_SIGNATURE_JS = r"""
() => {
  const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
  const view = panel && panel.querySelector('.jp-OutputArea-output .jupyter-widgets.widget-vbox, .jp-OutputArea-output .jupyter-widgets.widget-box');
  if (!view) return null;
  const out = Array.from(view.querySelectorAll('.widget-output, .jp-OutputArea'));
  const images = Array.from(view.querySelectorAll('img')).map(img => img.src.slice(-200));
  return {images: images, text: out.map(o => o.textContent).join('|').slice(0, 2000),
          html: view.innerHTML.length};
}
"""


@dataclass
class ChapterReport:
    """What happened to one chapter; ``problems`` is empty for a good chapter."""

    name: str
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def jupyterlab(root: Path, home: Path):
    """Start JupyterLab on ``root`` (127.0.0.1, free port, random token); yield (base URL, token)."""
    port, token = free_port(), secrets.token_hex(16)
    env = {key: value for key, value in os.environ.items() if key != "MPLBACKEND"}
    env.update(JUPYTERLAB_SETTINGS_DIR=str(home / "settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"),
               JUPYTER_CONFIG_DIR=str(home / "config"), JUPYTER_DATA_DIR=str(home / "data"),
               JUPYTER_RUNTIME_DIR=str(home / "runtime"), IPYTHONDIR=str(home / "ipython"),
               PYTHONUNBUFFERED="1")
    for name, settings in USER_SETTINGS.items():
        path = home / "settings" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(settings))
    lab = Path(sys.executable).parent / "jupyter-lab"
    command = [str(lab), "--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
               "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
               f"--ServerApp.root_dir={root}", "--LabApp.news_url=None"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    log_path = home / "jupyterlab.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(command, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"JupyterLab exited ({process.returncode}):\n"
                                   + log_path.read_text()[-3000:])
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=5) as reply:
                    if reply.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("JupyterLab did not start:\n" + log_path.read_text()[-3000:])
            time.sleep(0.5)
        yield base, token
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _api(base: str, token: str, path: str, method: str = "GET"):
    request = urllib.request.Request(f"{base}{path}", method=method,
                                     headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(request, timeout=30) as reply:
        body = reply.read()
    return json.loads(body) if body else None


def shut_down_kernels(base: str, token: str) -> None:
    for session in _api(base, token, "/api/sessions"):
        _api(base, token, f"/api/sessions/{session['id']}", method="DELETE")


def _wait_for_kernel(page, base: str, token: str, path: str) -> None:
    """Wait until the chapter's kernel has started and is idle (server and page agree)."""
    deadline = time.monotonic() + OPEN_TIMEOUT_MS / 1000
    while time.monotonic() < deadline:
        sessions = [s for s in _api(base, token, "/api/sessions") if s["path"] == path]
        ready = sessions and (sessions[0].get("kernel") or {}).get("execution_state") == "idle"
        status = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) "
                              ".jp-Notebook-ExecutionIndicator").first
        if ready and status.count() and status.get_attribute("data-status") == "idle":
            time.sleep(1)
            return
        time.sleep(0.5)
    raise TimeoutError(f"no idle kernel for {path} after {OPEN_TIMEOUT_MS / 1000:.0f} s")


def _wait_for_cells(page, text: str) -> None:
    """Wait until every cell of the chapter is in the page and every Markdown cell rendered.

    JupyterLab attaches the cells of a long notebook over a few seconds; jupyterlab-myst finds
    a cell's inline expressions when it renders the cell, so a Run All pressed before that
    leaves those expressions unevaluated (a reader waits that long anyway).
    """
    import jupytext

    expected = len(jupytext.reads(text, fmt="md:myst").cells)
    deadline = time.monotonic() + OPEN_TIMEOUT_MS / 1000
    while time.monotonic() < deadline:
        facts = page.evaluate(_COLLECT_JS)
        if facts and facts["nCells"] == expected and facts["unrendered"] == 0:
            time.sleep(1)
            return
        time.sleep(0.5)
    raise TimeoutError(f"the chapter did not show all its {expected} cells rendered")


def _wait_for_run(page, timeout_s: float) -> dict:
    """Wait until every code cell has run, none is queued or running and the kernel is idle,
    for 3 s in a row (the Markdown cells' inline expressions are evaluated in between)."""
    deadline = time.monotonic() + timeout_s
    stable_since = None
    while time.monotonic() < deadline:
        facts = page.evaluate(_COLLECT_JS)
        done = (facts and facts["busyPrompts"] == 0 and facts["kernel"] == "idle"
                and (facts["executedPrompts"] == facts["codeCells"] or facts["errors"]))
        if done:
            stable_since = stable_since or time.monotonic()
            if time.monotonic() - stable_since >= 3:
                return facts
        else:
            stable_since = None
        time.sleep(0.5)
    raise TimeoutError(f"the run did not finish in {timeout_s:.0f} s")


def _menu(page, menu: str, item: str) -> None:
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(f"^{menu}$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(f"^{item}$")).first.click()


def exercise_widget(page, report: ChapterReport, screenshot: Path | None, *,
                    timeout_s: float = WIDGET_TIMEOUT_S) -> None:
    """Move the first control of the first widget, press its Redraw button if any, and check
    that what the widget shows changes."""
    before = page.evaluate(_WIDGET_SIGNATURE_JS)
    if before is None:
        report.problems.append("the chapter imports ipywidgets but shows no widget after the run")
        return
    panel = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden)")
    view = panel.locator(".jp-OutputArea-output .jupyter-widgets.widget-vbox, "
                         ".jp-OutputArea-output .jupyter-widgets.widget-box").first
    view.scroll_into_view_if_needed()
    page.wait_for_timeout(1000)
    control = view.locator(".widget-slider, .widget-dropdown select, .widget-toggle-buttons").first
    kind = control.get_attribute("class") or ""
    if "widget-slider" in kind:
        handle = control.locator(".noUi-handle, .slider-handle").first
        handle.focus()
        for _ in range(5):
            handle.press("ArrowRight")
        moved = "slider moved 5 steps right"
    elif control.evaluate("el => el.tagName") == "SELECT":
        values = control.evaluate("el => Array.from(el.options).map(o => o.value)")
        current = control.evaluate("el => el.value")
        choice = next(value for value in values if value != current)
        control.select_option(choice)
        moved = f"dropdown set to {choice!r}"
    else:
        buttons = control.locator("button")
        buttons.nth(1).click()
        moved = "toggle button switched"
    redraw = view.locator("button", has_text=re.compile("Redraw|Update|Run", re.IGNORECASE))
    if redraw.count():
        redraw.first.click()
        moved += ", Redraw pressed"
    deadline = time.monotonic() + timeout_s
    after = before
    while time.monotonic() < deadline:
        time.sleep(1)
        after = page.evaluate(_WIDGET_SIGNATURE_JS)
        if after != before and after and after["images"]:
            break
    if after == before or not (after and after["images"]):
        report.problems.append(f"widget output did not change after the {moved}")
    else:
        report.notes.append(f"widget: {moved}, output changed")
    if screenshot is not None:
        view.screenshot(path=str(screenshot))


def _saved_expression_problems(ipynb: Path) -> list[str]:
    """Inline expressions of the saved notebook that were not evaluated, or failed."""
    if not ipynb.exists():
        return [f"the paired notebook {ipynb.name} was not written on save"]
    problems = []
    notebook = json.loads(ipynb.read_text(encoding="utf-8"))
    for index, cell in enumerate(notebook["cells"]):
        if cell["cell_type"] != "markdown":
            continue
        source = "".join(cell["source"])
        expected = re.findall(r"\{eval\}`([^`]*)`", source)
        if not expected or "remove-cell" in cell["metadata"].get("tags", []):
            continue
        results = {entry["expression"]: entry["result"]
                   for entry in cell["metadata"].get("user_expressions", [])}
        for name in expected:
            result = results.get(name)
            if result is None:
                problems.append(f"cell {index}: {{eval}}`{name}` was not evaluated")
            elif result.get("status") != "ok":
                problems.append(f"cell {index}: {{eval}}`{name}` failed: "
                                f"{result.get('ename')}: {result.get('evalue')}")
    return problems


def _source_role_problems(text: str) -> list[str]:
    """Roles in the Markdown of a chapter that jupyterlab-myst does not render."""
    import jupytext

    roles = {}
    for cell in jupytext.reads(text, fmt="md:myst").cells:
        if cell.cell_type == "markdown" and "remove-cell" not in cell.metadata.get("tags", []):
            for name in SOURCE_ROLE.findall(cell.source):
                roles[name] = roles.get(name, 0) + 1
    return [f"raw MyST markup: {count} {{{name}}} role(s), which JupyterLab does not render "
            "(they show as bare text)" for name, count in roles.items() if name not in LIVE_ROLES]


def check_chapter(page, base: str, token: str, root: Path, name: str, *,
                  widgets: bool, shots: Path | None,
                  widget_timeout_s: float = WIDGET_TIMEOUT_S) -> ChapterReport:
    """Open ``notebooks/<name>`` by double-click, run all, check, save; return the report."""
    report = ChapterReport(name)
    started = time.perf_counter()
    path = root / "notebooks" / name
    original = path.read_bytes()
    console: list[str] = []
    page.on("console", lambda message: console.append(message.text)
            if message.type == "error" else None)
    page.on("pageerror", lambda error: console.append(f"uncaught exception: {error}"))
    page.goto(f"{base}/lab/tree/notebooks?reset&token={token}", wait_until="load")
    item = page.locator(".jp-DirListing-item").filter(
        has=page.locator(".jp-DirListing-itemText", has_text=re.compile(f"^{re.escape(name)}$")))
    item.wait_for(timeout=OPEN_TIMEOUT_MS)
    item.dblclick()
    try:
        page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-MarkdownCell").first.wait_for(
            timeout=OPEN_TIMEOUT_MS)
    except Exception:  # noqa: BLE001 - reported as the problem of this chapter
        editor = page.locator(".jp-FileEditor:visible").count()
        report.problems.append("did not open as a notebook by double-click"
                               + (" (it opened in the text editor: is lab/overrides.json "
                                  "installed? make lab-install)" if editor else ""))
        return report
    tab = page.locator(".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current").inner_text()
    if name not in tab:
        report.problems.append(f"the current tab is {tab!r}, not the chapter")
    _wait_for_kernel(page, base, token, f"notebooks/{name}")
    _wait_for_cells(page, original.decode("utf-8"))
    _menu(page, "Run", "Run All Cells")
    try:
        facts = _wait_for_run(page, RUN_TIMEOUT_S)
    except TimeoutError as error:
        report.problems.append(str(error))
        facts = page.evaluate(_COLLECT_JS)
    time.sleep(1)  # the last Markdown cells' expression replies re-render their cells
    facts = page.evaluate(_COLLECT_JS)
    if facts["executedPrompts"] < facts["codeCells"]:
        report.problems.append(f"only {facts['executedPrompts']} of {facts['codeCells']} code "
                               "cells ran")
    report.problems += [f"cell error: {text[:200]!r}" for text in facts["errors"]]
    if facts["unrendered"]:
        report.problems.append(f"{facts['unrendered']} Markdown cells not rendered")
    for text in facts["texts"]:
        for match in RAW_MYST.finditer(text):
            start = max(match.start() - 40, 0)
            report.problems.append("raw MyST markup in the text: ..."
                                   + text[start:match.end() + 40].replace("\n", " ") + "...")
    report.problems += [f"unknown MyST markup shown: {text!r}" for text in facts["unknownMarkup"]]
    report.problems += [f"math error: {text}" for text in dict.fromkeys(facts["mathErrors"])]
    report.problems += [f"console: {text[:200]}" for text in dict.fromkeys(console)
                        if MATH_ERROR.search(text)]
    report.problems += [f"inline expression error: {text}" for text in facts["expressionErrors"]]
    if facts["unresolvedRefs"]:
        report.notes.append(f"{len(facts['unresolvedRefs'])} cross-references shown as their labels "
                            "(targets in other chapters, or figures named in code-cell metadata): "
                            + ", ".join(sorted(set(facts["unresolvedRefs"]))))
    if shots is not None:
        shots.mkdir(parents=True, exist_ok=True)
        cells = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook-cell")
        cells.first.scroll_into_view_if_needed()
        page.wait_for_timeout(500)
        page.screenshot(path=str(shots / f"{path.stem}.png"))
        import jupytext

        sources = [cell.source for cell in jupytext.reads(original.decode("utf-8"),
                                                          fmt="md:myst").cells]
        with_values = [index for index, source in enumerate(sources) if "{eval}`" in source]
        if with_values and with_values[0] < cells.count():
            cells.nth(with_values[0]).scroll_into_view_if_needed()
            page.wait_for_timeout(1500)  # off-screen cells are painted only once scrolled to
            page.screenshot(path=str(shots / f"{path.stem}-prose-values.png"))
    if widgets:
        exercise_widget(page, report, None if shots is None else shots / f"{path.stem}-widget.png",
                        timeout_s=widget_timeout_s)
    # Save unedited (after the run): the text must not change.
    page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook-cell").first.click()
    page.keyboard.press("Escape")
    page.keyboard.press("Control+s")
    ipynb = path.with_suffix(".ipynb")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (
            ipynb.exists() and page.locator(".lm-TabBar-tab.jp-mod-dirty").count() == 0):
        time.sleep(0.5)
    time.sleep(1)
    saved = path.read_bytes()
    if saved != original:
        diff = difflib.unified_diff(original.decode().splitlines(True),
                                    saved.decode().splitlines(True), "committed", "saved", n=0)
        report.problems.append("saving in JupyterLab changed the .md:\n    "
                               + "    ".join(list(diff)[2:14]))
    report.problems += _saved_expression_problems(ipynb)
    report.problems += _source_role_problems(original.decode("utf-8"))
    shut_down_kernels(base, token)
    report.seconds = time.perf_counter() - started
    return report


def check_chapters(chapters: list[Path], *, shots: Path | None,
                   widget_timeout_s: float = WIDGET_TIMEOUT_S) -> list[ChapterReport]:
    """Copy ``chapters`` into a temporary root, start JupyterLab on it and check each one."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        raise SystemExit(f"{CHROMIUM} not found: install Debian's chromium "
                         "(apt-get install -y chromium)")
    # Requests to other hosts fail at name resolution and are recorded. (Playwright's request
    # routing is not used: with it, JupyterLab 4.6 never starts the notebook's kernel.)
    blocked: list[str] = []
    offline = ["--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost"]

    reports = []
    with tempfile.TemporaryDirectory(prefix="lab-test-") as folder:
        root, home = Path(folder) / "book", Path(folder) / "home"
        (root / "notebooks").mkdir(parents=True)
        shutil.copy(ROOT / "jupytext.toml", root / "jupytext.toml")
        # The chapters run in notebooks/ and may read the book's other folders (../data):
        # those are linked, read-only in spirit; only notebooks/ is a copy that Lab writes to.
        for entry in ROOT.iterdir():
            if entry.is_dir() and not entry.name.startswith((".", "_")) and entry.name != "notebooks":
                (root / entry.name).symlink_to(entry, target_is_directory=True)
        for chapter in chapters:
            shutil.copy(chapter, root / "notebooks" / chapter.name)
        with jupyterlab(root, home) as (base, token), sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM,
                                                 args=CHROMIUM_ARGS + offline)
            try:
                for chapter in chapters:
                    context = browser.new_context(viewport=VIEWPORT)
                    context.on("request", lambda request: None if is_local(request.url)
                               else blocked.append(request.url))
                    page = context.new_page()
                    before = len(blocked)
                    widgets = "ipywidgets" in chapter.read_text(encoding="utf-8")
                    try:
                        report = check_chapter(page, base, token, root, chapter.name,
                                               widgets=widgets, shots=shots,
                                               widget_timeout_s=widget_timeout_s)
                    except Exception as error:  # noqa: BLE001 - one broken chapter, not all
                        report = ChapterReport(chapter.name, [f"test crashed: {error!r}"[:500]])
                        if shots is not None:
                            page.screenshot(path=str(shots / f"{chapter.stem}-crash.png"))
                        shut_down_kernels(base, token)
                    report.problems += [f"blocked request to another host: {url}"
                                        for url in dict.fromkeys(blocked[before:])]
                    context.close()
                    reports.append(report)
                    status = "ok" if not report.problems else f"{len(report.problems)} problem(s)"
                    notes = "".join(f"\n    {note}" for note in report.notes)
                    print(f"{chapter.name}: {status} ({report.seconds:.0f} s){notes}", flush=True)
            finally:
                browser.close()
    return reports


def not_yet_converted() -> set[str]:
    """Chapters skipped for now: the one explicit list ``NOT_YET_CONVERTED`` in
    ``tests/test_roundtrip.py``, if it has one (none once every chapter is converted)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("test_roundtrip",
                                                  ROOT / "tests" / "test_roundtrip.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return set(getattr(module, "NOT_YET_CONVERTED", ()))


def toc_chapters() -> list[Path]:
    """The chapters of ``_toc.yml`` that are notebooks in ``notebooks/``, in book order, less
    those not converted to the live form yet (named, so that the skip is visible)."""
    import yaml

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    chapters = [ROOT / f"{name}.md" for name in toc_files(toc) if name.startswith("notebooks/")]
    skipped = not_yet_converted()
    for chapter in chapters:
        if chapter.name in skipped:
            print(f"{chapter.name}: skipped, not converted yet (NOT_YET_CONVERTED in "
                  "tests/test_roundtrip.py)", flush=True)
    return [chapter for chapter in chapters if chapter.name not in skipped]


# ------------------------------------------------------------------------------- self-test
# A chapter with every fault the test must see, and a tidy one that must pass.

_HEADER = """---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  name: python3
  display_name: Python 3 (ipykernel)
  language: python
---
"""

_BAD = """---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---

# A broken chapter

A glued value {glue:text}`missing-key`, a number {eval}`not_defined`, and math $\\tr(A)$.

```{prf:lemmata} Misspelled
:label: lemma-bad

Body.
```

```{code-cell} ipython3
import ipywidgets as widgets

def unchanged(k=1):
    print("always the same")

widgets.interact(unchanged, k=widgets.IntSlider(value=1, min=0, max=9));
```

```{code-cell} ipython3
raise ValueError("boom")
```
"""

_GOOD = _HEADER + """
+++ {"tags": ["remove-cell"]}

---
math:
  '\\tr': '\\operatorname{tr}'
---

+++

# A tidy chapter

```{code-cell} ipython3
answer = 6 * 7
```

The answer is {eval}`answer`, and $\\tr(A) = \\sum_i a_{ii}$.
"""

_EXPECTED = ("{glue:text} role", "unknown MyST markup shown", "math error", "not_defined",
             "widget output did not change", "cell error", "saving in JupyterLab changed the .md")


def self_test() -> int:
    """Run the checker on a broken chapter (must fail on each fault) and a tidy one (must pass)."""
    with tempfile.TemporaryDirectory() as folder:
        bad, good = Path(folder) / "bad_chapter.md", Path(folder) / "good_chapter.md"
        bad.write_text(_BAD)
        good.write_text(_GOOD)
        reports = check_chapters([bad, good], shots=None, widget_timeout_s=10)
    bad_report, good_report = reports
    missing = [kind for kind in _EXPECTED if not any(kind in p for p in bad_report.problems)]
    print("broken chapter problems:\n  " + "\n  ".join(bad_report.problems))
    if missing or good_report.problems:
        print(f"SELF-TEST FAILED: not flagged on the broken chapter: {missing}; "
              f"flagged on the tidy chapter: {good_report.problems}")
        return 1
    print(f"self-test: the broken chapter fails on all {len(_EXPECTED)} checks, "
          "the tidy chapter passes")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("chapters", nargs="*", type=Path,
                        help="chapter .md files (default: every notebook of _toc.yml)")
    parser.add_argument("--screenshots", type=Path, default=ROOT / "_build" / "lab-screenshots")
    parser.add_argument("--self-test", action="store_true",
                        help="check a broken chapter (must fail) and a tidy one (must pass)")
    args = parser.parse_args(argv)
    if args.self_test:
        return self_test()
    chapters = [path.resolve() for path in args.chapters] or toc_chapters()
    started = time.perf_counter()
    reports = check_chapters(chapters, shots=args.screenshots)
    bad = [report for report in reports if report.problems]
    for report in bad:
        print(f"\n{report.name}:")
        for problem in report.problems:
            print(f"  - {problem}")
    print(f"\nlab_test: {len(reports)} chapters in {time.perf_counter() - started:.0f} s, "
          f"{len(bad)} with problems; screenshots in {args.screenshots}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

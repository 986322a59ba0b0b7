"""Open every page of the built book in a real browser, offline, and fail on what a reader would see.

Usage::

    python tools/browser_test.py _build/html      # every page of _toc.yml
    python tools/browser_test.py --self-test      # the checker must flag a broken page

The built site is served from a local HTTP server (a free port on 127.0.0.1) and opened in
Debian's Chromium (``/usr/bin/chromium``) through Playwright. Every request that does not go
to the local server is aborted and recorded, so the pages must work with no network: MathJax
comes from ``_static`` (the ``sphinx-mathjax-offline`` extension), not from a CDN.

A page fails on

* a console error or an uncaught script exception (one harmless message of the theme,
  ``Got invalid theme mode: <mode>. Resetting to auto.``, is allowed, verbatim);
* a request to another host (aborted), a failed request, or a local response with status >= 400;
* an image that did not load (``naturalWidth == 0``);
* math that MathJax did not typeset: a ``.math`` element without ``mjx-container``, raw TeX
  (``$$``, ``\\(``, ``\\[``, ``\\begin{``, ``$\\``) in visible text, or a MathJax error box;
* a cell error: an ``output traceback`` area, a ``stderr`` output with ``Error``/``Traceback``,
  or the text ``Traceback (most recent call last)`` (cells tagged ``raises-exception`` may
  show errors on purpose);
* on a chapter notebook page, a missing download button or a download link that does not load.

A screenshot of each page (1280 x 800 viewport) goes to ``_build/screenshots/<page>.png``.
Exits 1 and lists the problems, page by page, if there are any.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import re
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from check_site import toc_files  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost"})
VIEWPORT = {"width": 1280, "height": 800}
# The one console error allowed: sphinx-book-theme's message on a first visit.
ALLOWED_CONSOLE_ERROR = re.compile(r"Got invalid theme mode: [^\s.]*\. Resetting to auto\.")
# Raw TeX left in visible text: display delimiters, \( \[ \begin{, and an inline $\command.
RAW_TEX = re.compile(r"\$\$|\\\(|\\\)|\\\[|\\\]|\\begin\{|\$\\[A-Za-z]")
PAGE_TIMEOUT_MS = 60_000
# MathJax defines MathJax.startup as soon as its (deferred) script runs, before the load event.
MATHJAX_START_MS = 10_000

# Runs in the page after MathJax has finished: everything the checks need, as plain data.
_COLLECT_JS = r"""
async () => {
  const skip = "script, style, pre, code, textarea, mjx-container, .highlight, "
             + ".tex2jax_ignore, .mathjax_ignore";
  const images = Array.from(document.images);
  await Promise.all(images.map(img => {
    img.loading = "eager";
    if (img.complete) return null;
    return new Promise(done => {
      img.addEventListener("load", done, {once: true});
      img.addEventListener("error", done, {once: true});
      setTimeout(done, 15000);
    });
  }));
  const texts = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (parent && !parent.closest(skip) && node.textContent.trim()) texts.push(node.textContent);
  }
  const onPurpose = el => el.closest(".tag_raises-exception") !== null;
  const errorAreas = Array.from(document.querySelectorAll(".output.traceback, .output.error"))
      .filter(el => !onPurpose(el)).map(el => el.innerText.slice(0, 300));
  const stderrErrors = Array.from(document.querySelectorAll(".output.stderr"))
      .filter(el => !onPurpose(el) && /Error|Traceback/.test(el.innerText))
      .map(el => el.innerText.slice(0, 300));
  const visible = document.body.cloneNode(true);
  visible.querySelectorAll(".tag_raises-exception, script, style").forEach(el => el.remove());
  const download = document.querySelector(".dropdown-download-buttons");
  const source = download && download.querySelector("a.btn-download-source-button");
  return {
    brokenImages: images.filter(img => img.naturalWidth === 0)
        .map(img => img.getAttribute("src") || "(no src)"),
    nImages: images.length,
    texts: texts,
    mathTotal: document.querySelectorAll(".math").length,
    untypesetMath: Array.from(document.querySelectorAll(".math"))
        .filter(el => !el.closest(".tex2jax_ignore, .mathjax_ignore"))
        .filter(el => !el.querySelector("mjx-container"))
        .map(el => el.textContent.trim().slice(0, 80)),
    mathErrors: Array.from(document.querySelectorAll("mjx-merror, [data-mjx-error]"))
        .map(el => (el.getAttribute("data-mjx-error") || el.textContent).slice(0, 120)),
    errorAreas: errorAreas,
    stderrErrors: stderrErrors,
    tracebackText: visible.textContent.includes("Traceback (most recent call last)"),
    downloadButton: download !== null,
    downloadHref: source ? source.href : null,
  };
}
"""


def is_local(url: str) -> bool:
    """Whether a request stays on this machine: the local server, or an inline ``data:``/``blob:``."""
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob", "about"):
        return True
    return parts.scheme in ("http", "https") and parts.hostname in LOCAL_HOSTS


def is_allowed_console_error(text: str) -> bool:
    """Only the theme's exact "Got invalid theme mode" message is allowed."""
    return ALLOWED_CONSOLE_ERROR.fullmatch(text.strip()) is not None


def raw_tex_fragments(texts: list[str], *, width: int = 30) -> list[str]:
    """Snippets of visible text that still hold TeX delimiters (MathJax did not run on them)."""
    found = []
    for text in texts:
        match = RAW_TEX.search(text)  # one report per text node is enough
        if match:
            start = max(match.start() - width, 0)
            found.append(text[start:match.end() + width].replace("\n", " "))
    return found


def is_notebook_source(path: Path) -> bool:
    """A chapter notebook: a Markdown file whose front matter has a ``kernelspec``."""
    if not path.exists():
        return False
    text = path.read_text(encoding="utf-8")
    if not text.startswith("---"):
        return False
    front = text.split("---", 2)[1]
    return "kernelspec" in (yaml.safe_load(front) or {})


@dataclass
class PageReport:
    """What happened on one page; ``problems`` is empty for a good page."""

    name: str
    problems: list[str] = field(default_factory=list)
    n_images: int = 0
    n_math: int = 0
    n_allowed_console: int = 0
    seconds: float = 0.0


def problems_from(facts: dict, *, notebook: bool) -> list[str]:
    """Turn the facts collected in the page (see ``_COLLECT_JS``) into problem messages."""
    problems = []
    for src in facts["brokenImages"]:
        problems.append(f"image did not load: {src}")
    for snippet in raw_tex_fragments(facts["texts"]):
        problems.append(f"raw TeX in the text: ...{snippet}...")
    if facts["untypesetMath"]:
        problems.append(f"{len(facts['untypesetMath'])} of {facts['mathTotal']} math elements "
                        f"not typeset by MathJax, first: {facts['untypesetMath'][0]!r}")
    for error in facts["mathErrors"]:
        problems.append(f"MathJax error: {error}")
    for area in facts["errorAreas"]:
        problems.append(f"cell error output: {area[:200]!r}")
    for area in facts["stderrErrors"]:
        problems.append(f"stderr output with an error: {area[:200]!r}")
    if facts["tracebackText"] and not facts["errorAreas"]:
        problems.append("the page shows 'Traceback (most recent call last)'")
    if notebook and not facts["downloadButton"]:
        problems.append("no download button on a notebook page")
    elif notebook and not facts["downloadHref"]:
        problems.append("the download button has no source-file link")
    return problems


@contextmanager
def serve(directory: Path):
    """Serve ``directory`` on 127.0.0.1 at a free port, in a daemon thread; yield the base URL."""
    class QuietHandler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    class QuietServer(http.server.ThreadingHTTPServer):
        daemon_threads = True

        def handle_error(self, request, client_address):
            pass  # a browser closing a connection early is not a problem of the page

    handler = functools.partial(QuietHandler, directory=str(directory))
    server = QuietServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def _wait_for_mathjax(page) -> None:
    """Wait until MathJax has loaded and finished its first typesetting pass (if the page uses it)."""
    uses_mathjax = page.evaluate(
        "() => document.querySelector('script[src*=\"mathjax\" i]') !== null")
    if not uses_mathjax:
        return
    try:
        page.wait_for_function(
            "() => window.MathJax && window.MathJax.startup && window.MathJax.startup.promise",
            timeout=MATHJAX_START_MS)
        page.evaluate("() => window.MathJax.startup.promise.then(() => true)")
    except Exception as error:  # noqa: BLE001 - reported as a problem of the page
        raise RuntimeError(f"MathJax did not start: {type(error).__name__}") from None


def check_page(context, url: str, name: str, *, notebook: bool,
               screenshot: Path | None) -> PageReport:
    """Open one page in a new tab and collect its problems."""
    report = PageReport(name)
    started = time.perf_counter()
    console, failed, bad_status = [], [], []
    page = context.new_page()
    page.on("console", lambda message: console.append(message.text)
            if message.type == "error" else None)
    page.on("pageerror", lambda error: console.append(f"uncaught exception: {error}"))
    page.on("requestfailed", lambda request: failed.append(
        f"{request.url} ({request.failure})") if is_local(request.url) else None)
    page.on("response", lambda response: bad_status.append(f"{response.status} {response.url}")
            if response.status >= 400 else None)
    try:
        response = page.goto(url, wait_until="load", timeout=PAGE_TIMEOUT_MS)
        if response is None or response.status != 200:
            report.problems.append(f"page did not load: status "
                                   f"{None if response is None else response.status}")
            return report
        try:
            page.wait_for_load_state("networkidle", timeout=10_000)
        except Exception:  # noqa: BLE001 - a busy page is checked as it is
            pass
        try:
            _wait_for_mathjax(page)
        except RuntimeError as error:
            report.problems.append(str(error))
        facts = page.evaluate(_COLLECT_JS)
        report.n_images, report.n_math = facts["nImages"], facts["mathTotal"]
        report.problems += problems_from(facts, notebook=notebook)
        if notebook and facts["downloadHref"]:
            status = page.request.get(facts["downloadHref"]).status
            if status != 200:
                report.problems.append(f"download link {facts['downloadHref']} gives {status}")
        if screenshot is not None:
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(screenshot))
    finally:
        page.close()
    report.n_allowed_console = sum(map(is_allowed_console_error, console))
    report.problems += [f"console error: {text}" for text in dict.fromkeys(console)
                        if not is_allowed_console_error(text)]
    report.problems += [f"failed request: {entry}" for entry in dict.fromkeys(failed)]
    report.problems += [f"HTTP {entry}" for entry in dict.fromkeys(bad_status)]
    report.seconds = time.perf_counter() - started
    return report


def check_pages(html_dir: Path, pages: list[tuple[str, bool]], *,
                screenshots: Path | None) -> tuple[list[PageReport], list[str]]:
    """Check ``pages`` (relative page name without ``.html``, is-notebook) under ``html_dir``.

    Returns the reports and every request to another host that was blocked.
    """
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        raise SystemExit(f"{CHROMIUM} not found: install Debian's chromium "
                         "(apt-get install -y chromium)")
    blocked: list[str] = []

    def route(route_):
        if is_local(route_.request.url):
            route_.continue_()
        else:
            blocked.append(route_.request.url)
            route_.abort()

    reports = []
    with serve(html_dir) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport=VIEWPORT)
            context.route("**/*", route)
            for name, notebook in pages:
                before = len(blocked)
                shot = None if screenshots is None else screenshots / f"{name}.png"
                report = check_page(context, urljoin(base, f"{name}.html"), name,
                                    notebook=notebook, screenshot=shot)
                report.problems += [f"blocked request to another host: {url}"
                                    for url in dict.fromkeys(blocked[before:])]
                reports.append(report)
                status = "ok" if not report.problems else f"{len(report.problems)} problem(s)"
                print(f"{name}: {status} ({report.n_images} images, {report.n_math} math, "
                      f"{report.n_allowed_console} allowed theme message(s), "
                      f"{report.seconds:.1f} s)", flush=True)
            context.close()
        finally:
            browser.close()
    return reports, blocked


def toc_pages(toc_path: Path, root: Path) -> list[tuple[str, bool]]:
    """Pages of the table of contents, each with whether its source is a notebook."""
    toc = yaml.safe_load(toc_path.read_text())
    return [(name, is_notebook_source(root / f"{name}.md")) for name in toc_files(toc)]


# ------------------------------------------------------------------------------- self-test
# A hand-made broken page that must fail on every check, and a clean one that must pass.

_BAD_PAGE = r"""<!DOCTYPE html><html><head><title>bad</title></head><body><article>
<p>Display math left raw: $$ x^2 $$ and inline \(a + b\).</p>
<span class="math notranslate nohighlight">\(y = 1\)</span>
<img src="missing.png" alt="missing figure">
<img src="https://example.org/remote.png" alt="remote figure">
<div class="cell docutils container"><div class="cell_output docutils container">
<div class="output traceback highlight-ipythontb notranslate"><pre>Traceback (most recent call last):
ValueError: boom</pre></div></div></div>
<script>console.error("Got invalid theme mode: null. Resetting to auto. Also broken.");</script>
<script>undefined_function_of_the_self_test();</script>
</article></body></html>
"""

_GOOD_PAGE = r"""<!DOCTYPE html><html><head><title>good</title></head><body><article>
<p>A price of $5 is not math, and neither is C:\temp.</p>
<img src="dot.png" alt="a dot">
<div class="dropdown dropdown-download-buttons"><a class="btn-download-source-button"
   href="good.html">.md</a></div>
<div class="cell tag_raises-exception docutils container"><div class="output traceback">
<pre>Traceback (most recent call last):
ValueError: shown on purpose</pre></div></div>
<script>console.error("Got invalid theme mode: null. Resetting to auto.");</script>
</article></body></html>
"""

# Every kind of problem the bad page must raise.
_EXPECTED = ("image did not load: missing.png", "raw TeX", "not typeset by MathJax",
             "cell error output", "console error: Got invalid theme mode",
             "uncaught exception", "blocked request to another host: https://example.org/",
             "no download button", "HTTP 404")


def self_test() -> int:
    """Run the checker on the hand-made pages: the bad one must fail on each check, the good one pass."""
    import base64

    with tempfile.TemporaryDirectory() as folder:
        site = Path(folder)
        (site / "bad.html").write_text(_BAD_PAGE)
        (site / "good.html").write_text(_GOOD_PAGE)
        (site / "dot.png").write_bytes(base64.b64decode(
            "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="))
        reports, _ = check_pages(site, [("bad", True), ("good", True)], screenshots=None)
    bad, good = reports
    missing = [kind for kind in _EXPECTED if not any(kind in p for p in bad.problems)]
    print("bad page problems:\n  " + "\n  ".join(bad.problems))
    if missing or good.problems:
        print(f"SELF-TEST FAILED: not flagged on the bad page: {missing}; "
              f"flagged on the good page: {good.problems}")
        return 1
    print(f"self-test: the bad page fails on all {len(_EXPECTED)} checks, the good page passes")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("html_dir", nargs="?", type=Path, default=ROOT / "_build" / "html")
    parser.add_argument("--toc", type=Path, default=ROOT / "_toc.yml")
    parser.add_argument("--screenshots", type=Path, default=None,
                        help="folder for page screenshots (default: <html_dir>/../screenshots)")
    parser.add_argument("--self-test", action="store_true",
                        help="check hand-made pages: a broken one must fail, a clean one pass")
    args = parser.parse_args(argv)
    if args.self_test:
        return self_test()
    html_dir = args.html_dir.resolve()
    if not (html_dir / "index.html").exists():
        print(f"{html_dir} has no index.html: build the book first (make book)")
        return 1
    screenshots = args.screenshots or html_dir.parent / "screenshots"
    started = time.perf_counter()
    reports, blocked = check_pages(html_dir, toc_pages(args.toc, ROOT), screenshots=screenshots)
    bad = [report for report in reports if report.problems]
    for report in bad:
        print(f"\n{report.name}:")
        for problem in report.problems:
            print(f"  - {problem}")
    print(f"\nbrowser_test: {len(reports)} pages in {time.perf_counter() - started:.0f} s, "
          f"{len(bad)} with problems, {len(blocked)} requests to other hosts blocked; "
          f"screenshots in {screenshots}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

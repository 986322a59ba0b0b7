"""Check the built site: every chapter page exists and every figure made it into the page.

Usage: python tools/check_site.py _build/html

A chapter whose source draws figures (calls ``plt.`` or a ``plot_`` helper) must have
at least one ``<img>`` in its page, and no page may contain an execution traceback.
Exits 1 with a list of problems otherwise.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def toc_files(toc: dict) -> list[str]:
    """All ``file:`` entries of a jb-book table of contents, in order."""
    files = [toc["root"]]
    for part in toc.get("parts", []):
        for chapter in part.get("chapters", []):
            files.append(chapter["file"])
            files.extend(section["file"] for section in chapter.get("sections", []))
    return files


def problems_of(html_dir: Path) -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    problems = []
    for name in toc_files(toc):
        page = html_dir / f"{name}.html"
        if not page.exists():
            problems.append(f"{page}: missing")
            continue
        html = page.read_text(encoding="utf-8")
        source = ROOT / f"{name}.md"
        draws = source.exists() and re.search(r"\bplt\.|plot_\w+\(", source.read_text())
        if draws and "<img" not in html:
            problems.append(f"{page}: source draws figures but the page has no <img>")
        if "Traceback (most recent call last)" in html:
            problems.append(f"{page}: contains a traceback")
    return problems


def main() -> int:
    html_dir = Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "_build" / "html")
    problems = problems_of(html_dir)
    for problem in problems:
        print(problem)
    print(f"check_site: {len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

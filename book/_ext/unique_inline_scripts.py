"""Sphinx extension: drop repeated inline ``<script>`` blocks from every HTML page.

Sphinx 7.4 writes an inline script that an extension registers after the builder started
twice: once as registered (``filename=None``) and once re-read from the registry
(``filename=''``), which its duplicate check sees as different (fixed upstream in Sphinx
pull request 13402, in Sphinx 8.2; jupyter-book 1 needs Sphinx 7). sphinx-thebe registers
``const THEBE_JS_URL = ...`` that way, so every page logged
``Identifier 'THEBE_JS_URL' has already been declared`` in the browser console.
This keeps the first of several scripts with the same file name (``None`` and ``''``
alike), priority and attributes, per page; file scripts were already unique.
"""

from __future__ import annotations


def _unique_scripts(app, pagename, templatename, context, doctree) -> None:
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for script in scripts:
        key = (getattr(script, "filename", script) or "", getattr(script, "priority", 0),
               tuple(sorted(getattr(script, "attributes", {}).items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    # In place: Sphinx restores its own list after each page.
    scripts[:] = unique


def setup(app):
    app.connect("html-page-context", _unique_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

"""Sphinx extension: let Sphinx read (and execute) the chapters in parallel, balanced.

Sphinx reads in parallel only when every loaded extension declares that it is safe, and
falls back to serial reading, silently, when one does not say. Two extensions that
jupyter-book loads do not say, and neither takes part in reading:

* ``sphinx_multitoc_numbering`` replaces ``TocTreeCollector.assign_section_numbers`` at
  setup and connects ``builder-inited``; section numbers are assigned in the main process
  after all chapters are read;
* ``sphinx-mathjax-offline`` copies MathJax into the output on ``build-finished``.

This declares both read-safe when they are loaded and undeclared (a newer release that
declares itself is left alone). The third undeclared one, ``sphinx_jupyterbook_latex``,
rewrites documents for the LaTeX builder; the book builds no PDF, so ``_config.yml`` does
not load it (``latex.use_jupyterbook_latex: false``).

Parallel reading also needs every domain to merge what the worker processes collected.
sphinx-proof declares itself read-safe, but its ``prf`` domain lacks
``merge_domaindata`` and Sphinx stops with ``NotImplementedError``. The domain stores
nothing of its own (its data stay Sphinx's empty initial dict; the list of theorems lives
in ``env.proof_list``, which sphinx-proof merges itself on ``env-merge-info``), so the
merge it needs does nothing; it is added only when the domain has none.
"""

from __future__ import annotations

from sphinx.util.parallel import make_chunks

# Extensions declared read-safe here, with the reason (see the module docstring).
READ_SAFE = {
    "sphinx_multitoc_numbering": "numbers sections after reading, in the main process",
    "sphinx-mathjax-offline": "copies static files when the build has finished",
}


def _declare_read_safe(app, config) -> None:
    for name in READ_SAFE:
        extension = app.extensions.get(name)
        if extension is not None and extension.parallel_read_safe is None:
            extension.parallel_read_safe = True


# Rough seconds each chapter takes to execute on the 2-core reference machine, with the
# shared networks already trained (tools/train_networks.py). Used only to deal the chapters
# out to the reading processes so that they finish at about the same time: a wrong or
# missing value (DEFAULT_SECONDS) changes how long the build takes, never what it produces.
CHAPTER_SECONDS = {
    "notebooks/01_lemma1_brockett": 7, "notebooks/02_large_data_limit": 18,
    "notebooks/03_isotropic_data": 10, "notebooks/04_linear_networks": 13,
    "notebooks/05_cnn_permutations": 16, "notebooks/06_deer_deernet": 15,
    "notebooks/07_figures_1_2": 45, "notebooks/08_figure_3": 12,
    "notebooks/09_figure_4": 10, "notebooks/10_activations": 10,
    "notebooks/11_invertible_networks": 20, "notebooks/12_your_own_network": 20,
    "notebooks/13_large_layers": 32, "notebooks/14_measured_deer": 13,
    "notebooks/15_pseudo_inverse": 13, "notebooks/16_inverse_problem_baselines": 20,
    "notebooks/17_what_descrambling_reveals": 12,
}
DEFAULT_SECONDS = 2


def balanced_order(docnames: list[str], processes: int) -> list[str]:
    """``docnames`` reordered so that Sphinx's chunks (consecutive slices, of the sizes
    ``make_chunks`` gives) carry about equal work: longest first, each to the chunk with
    the least work so far that has room (chunks beyond the first ``processes`` start only
    when an earlier one finishes, so they count from the earliest finish)."""
    sizes = [len(chunk) for chunk in make_chunks(docnames, processes)]
    chunks: list[list[str]] = [[] for _ in sizes]
    work = [0.0] * len(sizes)

    def finish(index: int) -> float:
        return work[index] + (min(work[:processes]) if index >= processes else 0.0)

    for docname in sorted(docnames, key=lambda name: -CHAPTER_SECONDS.get(name, DEFAULT_SECONDS)):
        index = min((i for i in range(len(sizes)) if len(chunks[i]) < sizes[i]), key=finish)
        chunks[index].append(docname)
        work[index] += CHAPTER_SECONDS.get(docname, DEFAULT_SECONDS)
    return [docname for chunk in chunks for docname in chunk]


def _deal_out(app, env, docnames: list[str]) -> None:
    if app.parallel > 1 and len(docnames) > 1:
        docnames[:] = balanced_order(docnames, app.parallel)


def _merge_nothing(self, docnames, otherdata) -> None:
    """The ``prf`` domain's data are empty: nothing to merge (see the module docstring)."""


def _add_proof_domain_merge() -> None:
    try:
        from sphinx_proof.domain import ProofDomain
    except ImportError:
        return
    if "merge_domaindata" not in vars(ProofDomain):
        ProofDomain.merge_domaindata = _merge_nothing


def setup(app):
    app.connect("config-inited", _declare_read_safe)
    app.connect("env-before-read-docs", _deal_out)
    _add_proof_domain_merge()
    return {"parallel_read_safe": True, "parallel_write_safe": True}

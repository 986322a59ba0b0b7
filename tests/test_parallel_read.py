"""The book's parallel-reading extension (book/_ext/parallel_read.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import yaml
from hypothesis import given, settings, strategies as st
from sphinx.util.parallel import make_chunks

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("parallel_read", ROOT / "book/_ext/parallel_read.py")
parallel_read = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(parallel_read)


def _book_docnames() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    return sorted([toc["root"]] + [chapter["file"] for part in toc["parts"]
                                   for chapter in part["chapters"]])


def _cost(docname: str) -> float:
    return parallel_read.CHAPTER_SECONDS.get(docname, parallel_read.DEFAULT_SECONDS)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text("abc/_0123", min_size=1, max_size=8), unique=True, max_size=40),
       st.integers(1, 4))
def test_balanced_order_is_a_permutation(docnames, processes):
    order = parallel_read.balanced_order(sorted(docnames), processes)
    assert sorted(order) == sorted(docnames)


def test_every_chapter_has_a_cost_and_every_cost_a_chapter():
    chapters = {name for name in _book_docnames() if name.startswith("notebooks/")}
    assert chapters == set(parallel_read.CHAPTER_SECONDS), (
        "CHAPTER_SECONDS and _toc.yml list different chapters: "
        f"{sorted(chapters ^ set(parallel_read.CHAPTER_SECONDS))}")


def test_the_book_is_dealt_out_evenly_to_two_processes():
    """The two chunks that start together differ by less than the costliest chapter."""
    chunks = make_chunks(parallel_read.balanced_order(_book_docnames(), 2), 2)
    first_two = [sum(_cost(name) for name in chunk) for chunk in chunks[:2]]
    assert abs(first_two[0] - first_two[1]) < max(parallel_read.CHAPTER_SECONDS.values())
    # The sorted (serial-reading) order is the baseline: no worse than it.
    plain = [sum(_cost(name) for name in chunk) for chunk in make_chunks(_book_docnames(), 2)]
    assert max(first_two) <= max(plain[:2])


def test_the_proof_domain_merge_rests_on_empty_domain_data():
    """The added merge does nothing: right only while sphinx-proof's domain keeps no data."""
    from sphinx_proof.domain import ProofDomain

    assert ProofDomain.initial_data == {}
    parallel_read._add_proof_domain_merge()
    assert "merge_domaindata" in vars(ProofDomain)
    source = Path(importlib.util.find_spec("sphinx_proof").origin).parent
    assert not any("self.data" in path.read_text() for path in source.glob("*.py")), \
        "sphinx-proof now stores domain data: its merge must merge them"

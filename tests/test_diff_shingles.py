"""Bulk shingle counts (numpy) are exactly the Python set sizes and intersections they replace, and
alignments made with them are the alignments made with Python sets alone."""

from __future__ import annotations

import random

import pytest

from archive.diff import align as align_mod
from archive.diff import shingles
from archive.diff.align import SHINGLE, _letters, _shingle_set, align, clause_content
from archive.diff.shingles import ShingleTable
from tests.diff_reference import reference_clauses

LABELS = ["1.0", "2.0", "2.2", "3.0", "3.1", "3.2", "3.3", "3.4"]


def _expected(ta: list[str], tb: list[str]) -> tuple[list[int], list[int], list[list[int]]]:
    sa, sb = [_shingle_set(t) for t in ta], [_shingle_set(t) for t in tb]
    return [len(s) for s in sa], [len(s) for s in sb], [[len(x & y) for y in sb] for x in sa]


def _counted(ta: list[str], tb: list[str]) -> tuple[list[int], list[int], list[list[int]]]:
    table = ShingleTable.of(ta, tb, SHINGLE)
    assert table is not None
    return table.sizes_a, table.sizes_b, table.shared(range(len(ta)), range(len(tb)))


@pytest.mark.parametrize("seed", range(3))
def test_counts_equal_python_sets_on_random_texts(seed):
    rng = random.Random(seed)
    for _ in range(300):
        # Short alphabets make shared slices likely; lengths around SHINGLE test the one-slice texts.
        alphabet = rng.choice(["ab", "abc”", "\u00e9a\u4e00b", "\U0001f600xy", "abcdefghijklmnop"])
        ta = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 14))) for _ in range(rng.randint(1, 5))]
        tb = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 14))) for _ in range(rng.randint(1, 5))]
        assert _counted(ta, tb) == _expected(ta, tb), (ta, tb)


def test_counts_equal_python_sets_on_the_corpus_in_small_chunks(monkeypatch):
    """1.0 against 3.4, with the product split into many column chunks (and its whole in one)."""
    ta = [_letters(clause_content(c)) for c in reference_clauses("1.0")]
    tb = [_letters(clause_content(c)) for c in reference_clauses("3.4")]
    expected = _expected(ta, tb)
    assert _counted(ta, tb) == expected
    monkeypatch.setattr(shingles, "_COLUMN_CHUNK", 97)
    assert _counted(ta, tb) == expected
    rows, cols = [3, 0, 7], [5, 1]
    sub = ShingleTable.of(ta, tb, SHINGLE).shared(rows, cols)
    assert sub == [[expected[2][i][j] for j in cols] for i in rows]


def test_an_alphabet_too_large_for_64_bit_ids_falls_back():
    wide = "".join(map(chr, range(0x4E00, 0x4E00 + 7000)))
    assert ShingleTable.of([wide], [wide[::-1]], SHINGLE) is None


def test_empty_texts():
    assert _counted(["", ""], [""]) == ([0, 0], [0], [[0], [0]])


@pytest.mark.parametrize("pair", [(a, b) for k, a in enumerate(LABELS) for b in LABELS[k + 1 :]])
def test_alignment_is_the_same_without_bulk_counts(pair, monkeypatch):
    a, b = (list(reference_clauses(x)) for x in pair)
    bulk = align(a, b)
    monkeypatch.setattr(align_mod, "BULK_MIN_PAIRS", 10**9)  # every count from Python sets
    align_mod.clear_caches()
    assert align(a, b) == bulk

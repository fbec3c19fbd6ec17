"""Shingle-set sizes and pairwise intersection sizes of many texts at once, exactly, with numpy.

The alignment compares clause texts as sets of SHINGLE-character slices (see `archive.diff.align`).
Across a rewrite nearly every clause of one version is compared with every clause of the other;
building hundreds of Python sets of strings and intersecting them pairwise was most of the cold
alignment (1.0 -> 3.4: ~45 ms). Here each slice becomes one integer (the letters written in base
alphabet+1, so equal slices and only equal slices get equal numbers), each text's distinct integers
are found by one sort, and the counts of shared slices for every pair come from one join: the same
integers as `len(set_a & set_b)`, not an estimate.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

# Integers must fit int64 with the text's index folded in: (alphabet + 1) ** shingle * texts < 2**62.
_LIMIT = 2**62
# Slice columns per matrix product (bounds the 0/1 matrices to texts x 16k floats).
_COLUMN_CHUNK = 1 << 14


def _slice_ids(texts: list[str], shingle: int) -> np.ndarray | None:
    """Sorted distinct (slice id * len(texts) + text index) over all texts; None when the ids would not
    fit in 64 bits (an alphabet of thousands of characters: the caller falls back to Python sets)."""
    n_texts = len(texts)
    lens = np.fromiter(map(len, texts), dtype=np.int64, count=n_texts)
    joined = "".join(texts)
    if not joined:
        return np.zeros(0, dtype=np.int64)
    codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32)
    # Letters -> 1..alphabet in code point order (0 pads texts shorter than one shingle).
    table = np.zeros(int(codes.max()) + 1, dtype=np.int64)
    table[codes] = 1
    base = int(table.sum()) + 1
    if base**shingle * n_texts >= _LIMIT:
        return None
    np.cumsum(table, out=table)
    sym = table[codes]
    # One id per slice start; a slice must lie inside its own text, so the last shingle - 1 starts of
    # each text are dropped (all of a text shorter than one shingle, which is handled below).
    m = max(len(sym) - shingle + 1, 0)
    ids = sym[:m].copy()
    for k in range(1, shingle):
        ids *= base
        ids += sym[k : k + m]
    ends = np.cumsum(lens)
    starts = ends - lens
    keys = ids
    keys *= n_texts
    keys += np.repeat(np.arange(n_texts, dtype=np.int64), lens)[:m]
    tails = ends[:, None] - np.arange(1, shingle, dtype=np.int64)  # the starts too near a text's end
    keys[tails[(tails >= starts[:, None]) & (tails < m)]] = -1  # sorted first, then dropped
    short = [t for t in range(n_texts) if 0 < lens[t] < shingle]
    if short:  # a text shorter than one shingle is one shingle: itself (padded, so it equals no slice)
        extra = []
        for t in short:
            letters = [int(x) for x in sym[starts[t] : ends[t]]] + [0] * (shingle - int(lens[t]))
            v = 0
            for x in letters:
                v = v * base + x
            extra.append(v * n_texts + t)
        keys = np.concatenate((keys, np.array(extra, dtype=np.int64)))
    # numpy's default sort of int64 is a SIMD sort in numpy 2.x: ~5x a 16-bit radix sort here, and
    # np.unique takes a slower hash path.
    keys = np.sort(keys)
    keys = keys[np.searchsorted(keys, 0) :]
    return keys[np.concatenate(([True], keys[1:] != keys[:-1]))]


class ShingleTable:
    """The distinct slices of two lists of texts, A and B, ready to count the shared slices of any block
    of (A text, B text) pairs. Built by `ShingleTable.of`, which returns None when the alphabet is too
    large for 64-bit slice ids.

    Counting is a product of 0/1 matrices (texts x slices found on both sides), done by BLAS in float32
    (exact: a count stays far below 2**24) over column chunks, so memory stays bounded."""

    def __init__(self, na: int, nb: int, keys: np.ndarray) -> None:
        n = na + nb
        sid = keys // n
        own = keys - sid * n
        sizes = np.bincount(own, minlength=n).tolist()
        self.na, self.nb = na, nb
        self.sizes_a, self.sizes_b = sizes[:na], sizes[na:]
        # Group entries by slice (keys are sorted by slice id, then text: a group's A texts come first);
        # keep the slices both sides have, numbered as columns in slice order.
        new = np.empty(len(sid), dtype=bool)
        new[:1] = True
        np.not_equal(sid[1:], sid[:-1], out=new[1:])
        first = np.flatnonzero(new)
        counts = np.diff(first, append=len(sid))
        both = (own[first] < na) & (own[first + counts - 1] >= na)
        self.columns = int(both.sum())
        own = own[np.repeat(both, counts)]
        column = np.repeat(np.arange(self.columns, dtype=np.int64), counts[both])
        # Per side: (text index, column) of every shared slice, by column.
        in_a = own < na
        self._oa, self._ca = own[in_a], column[in_a]
        self._ob, self._cb = own[~in_a] - na, column[~in_a]

    @classmethod
    def of(cls, ta: list[str], tb: list[str], shingle: int) -> ShingleTable | None:
        keys = _slice_ids(ta + tb, shingle)
        return None if keys is None else cls(len(ta), len(tb), keys)

    def shared(self, rows: Sequence[int], cols: Sequence[int]) -> list[list[int]]:
        """shared[r][c] = |S(ta[rows[r]]) ∩ S(tb[cols[c]])|."""
        pick_a = np.full(self.na, -1, dtype=np.int64)
        pick_a[rows] = np.arange(len(rows))
        pick_b = np.full(self.nb, -1, dtype=np.int64)
        pick_b[cols] = np.arange(len(cols))
        out = np.zeros((len(rows), len(cols)), dtype=np.float32)
        for lo in range(0, self.columns, _COLUMN_CHUNK):
            hi = min(lo + _COLUMN_CHUNK, self.columns)
            xa = self._dense(pick_a, len(rows), self._oa, self._ca, lo, hi)
            xb = self._dense(pick_b, len(cols), self._ob, self._cb, lo, hi)
            out += xa @ xb.T
        return out.astype(np.int64).tolist()

    @staticmethod
    def _dense(pick: np.ndarray, n: int, owner: np.ndarray, column: np.ndarray, lo: int, hi: int) -> np.ndarray:
        """0/1 matrix of the picked texts x columns lo..hi."""
        start, stop = np.searchsorted(column, (lo, hi))
        r, c = pick[owner[start:stop]], column[start:stop] - lo
        m = np.zeros((n, hi - lo), dtype=np.float32)
        sel = r >= 0
        m[r[sel], c[sel]] = 1.0
        return m

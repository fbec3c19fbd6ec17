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
    n = len(sym)
    padded = np.concatenate((sym, np.zeros(shingle, dtype=np.int64)))
    ids = padded[:n].copy()
    for k in range(1, shingle):
        ids *= base
        ids += padded[k : k + n]
    ends = np.cumsum(lens)
    starts = ends - lens
    owner = np.repeat(np.arange(n_texts, dtype=np.int64), lens)
    whole = np.arange(n, dtype=np.int64) + shingle <= np.repeat(ends, lens)  # slice inside its own text
    keys = ids[whole] * n_texts + owner[whole]
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
    keys = _radix_sorted(keys)  # np.unique on int64 goes through a slower hash path in numpy 2.x
    return keys[np.concatenate(([True], keys[1:] != keys[:-1]))]


def _radix_sorted(keys: np.ndarray) -> np.ndarray:
    """Non-negative int64 keys in ascending order. numpy's stable sort of 16-bit integers is a radix
    sort, so sorting by 16 bits at a time from the lowest (a least-significant-digit radix sort)
    takes about half the time of its comparison sort on the ~70k keys of a rewrite's clauses."""
    bits = int(keys.max()).bit_length() if len(keys) else 0
    for shift in range(0, bits, 16):
        keys = keys[np.argsort((keys >> shift).astype(np.uint16), kind="stable")]
    return keys


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
        # Group entries by slice (keys are sorted by slice id); keep the slices both sides have.
        new = np.empty(len(sid), dtype=bool)
        new[:1] = True
        np.not_equal(sid[1:], sid[:-1], out=new[1:])
        group = np.cumsum(new) - 1
        in_a = own < na
        has_a = np.zeros(int(group[-1]) + 1 if len(group) else 0, dtype=bool)
        has_b = has_a.copy()
        has_a[group[in_a]] = True
        has_b[group[~in_a]] = True
        both = has_a & has_b
        column = np.cumsum(both) - 1
        keep = both[group]
        self.columns = int(both.sum())
        # Per side: (text index, column) of every shared slice, by column.
        sel_a, sel_b = keep & in_a, keep & ~in_a
        self._oa, self._ca = own[sel_a], column[group[sel_a]]
        self._ob, self._cb = own[sel_b] - na, column[group[sel_b]]

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

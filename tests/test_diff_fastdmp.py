"""The faster middle-snake search gives exactly diff-match-patch's own diffs."""

from __future__ import annotations

import random

import pytest
from diff_match_patch import diff_match_patch

from archive.diff.fastdmp import FastDiffMatchPatch


def _pairs(seed: int, count: int):
    rng = random.Random(seed)
    for _ in range(count):
        alphabet = rng.choice(["ab", "abc", "abcdefgh", "\u0100\u0101\u0102\u4e00", "xyz \n"])
        a = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60)))
        b = list(a)
        for _ in range(rng.randint(0, 12)):  # a few edits, so the texts share runs
            pos = rng.randint(0, len(b))
            if b and rng.random() < 0.5:
                del b[min(pos, len(b) - 1)]
            else:
                b.insert(pos, rng.choice(alphabet))
        yield a, "".join(b)


@pytest.mark.parametrize("seed", range(4))
def test_same_diffs_as_the_library(seed):
    ours, theirs = FastDiffMatchPatch(), diff_match_patch()
    ours.Diff_Timeout = theirs.Diff_Timeout = 0
    for a, b in _pairs(seed, 500):
        expected = theirs.diff_main(a, b, False)
        got = ours.diff_main(a, b, False)
        assert got == expected, (a, b)
        theirs.diff_cleanupSemantic(expected)
        ours.diff_cleanupSemantic(got)
        assert got == expected, (a, b)


def test_disjoint_texts_are_one_delete_and_one_insert():
    dmp = FastDiffMatchPatch()
    dmp.Diff_Timeout = 0
    assert dmp.diff_main("aaaa", "bbbb", False) == [(-1, "aaaa"), (1, "bbbb")]

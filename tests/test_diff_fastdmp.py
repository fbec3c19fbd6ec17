"""The C++ diff-match-patch port gives exactly diff-match-patch's own diffs."""

from __future__ import annotations

import random

import pytest
from diff_match_patch import diff_match_patch

from archive.db import storage
from archive.db.engine import read_session
from archive.diff.align import align, clause_content
from archive.diff.fastdmp import FastDiffMatchPatch
from archive.diff.tokens import analyse
from archive.diff.words import _encode


def _library() -> tuple[FastDiffMatchPatch, diff_match_patch]:
    ours, theirs = FastDiffMatchPatch(), diff_match_patch()
    ours.Diff_Timeout = theirs.Diff_Timeout = 0
    return ours, theirs


def _pairs(seed: int, count: int):
    rng = random.Random(seed)
    for _ in range(count):
        alphabet = rng.choice(["ab", "abc", "abcdefgh", "\u0100\u0101\u0102\u4e00", "xyz \n", "\U00010000\u00e9a"])
        a = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60)))
        b = list(a)
        for _ in range(rng.randint(0, 12)):  # a few edits, so the texts share runs
            pos = rng.randint(0, len(b))
            if b and rng.random() < 0.5:
                del b[min(pos, len(b) - 1)]
            else:
                b.insert(pos, rng.choice(alphabet))
        yield a, "".join(b)


def _same(ours: FastDiffMatchPatch, theirs: diff_match_patch, a: str, b: str) -> None:
    expected = theirs.diff_main(a, b, False)
    got = ours.diff_main(a, b, False)
    assert got == expected, (a, b)
    theirs.diff_cleanupSemantic(expected)
    ours.diff_cleanupSemantic(got)
    assert got == expected, (a, b)


@pytest.mark.parametrize("seed", range(4))
def test_same_diffs_as_the_library(seed):
    ours, theirs = _library()
    for a, b in _pairs(seed, 500):
        _same(ours, theirs, a, b)
        expected = theirs.diff_main(a, b, False)
        theirs.diff_cleanupSemantic(expected)
        assert ours.diff_semantic(a, b) == expected, (a, b)


def test_same_word_diffs_on_every_aligned_clause_pair_of_the_corpus(corpus_engine):
    """The texts redlines really diff: each aligned clause pair of consecutive RSP versions, one
    character per word, as archive.diff.words encodes them."""
    ours, theirs = _library()
    with read_session(corpus_engine) as s:
        labels = [v.label for v in storage.list_versions(s, "anthropic-rsp")]
        texts = {label: storage.clauses(s, "anthropic-rsp", label) for label in labels}
    compared = 0
    for a, b in zip(labels, labels[1:], strict=False):
        for pair in align(texts[a], texts[b]):
            if pair.a is None or pair.b is None:
                continue
            ka = analyse(clause_content(texts[a][pair.a])).keys
            kb = analyse(clause_content(texts[b][pair.b])).keys
            ca, cb = _encode(ka, kb)
            _same(ours, theirs, ca, cb)
            expected = theirs.diff_main(ca, cb, False)
            theirs.diff_cleanupSemantic(expected)
            assert ours.diff_semantic(ca, cb) == expected
            compared += 1
    assert compared > 100


def test_disjoint_texts_are_one_delete_and_one_insert():
    dmp, _ = _library()
    assert dmp.diff_main("aaaa", "bbbb", False) == [(-1, "aaaa"), (1, "bbbb")]

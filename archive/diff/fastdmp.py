"""diff-match-patch whose core search runs in C++, giving exactly the library's diffs.

Redlines run diff-match-patch with Diff_Timeout = 0 (deterministic), where nearly all the time of a
large rewritten clause goes to Myers' O(ND) middle-snake search (`diff_bisect`), in pure Python.
`fast_diff_match_patch` is a C++ port of the same library (same prefix/suffix trimming, same bisect,
same split points, same final `diff_cleanupMerge`), so with no deadline and no cleanup its diffs are
the library's; tests/test_diff_fastdmp.py checks that on random texts and on every aligned clause pair
of the corpus. `diff_semantic` adds the port's `diff_cleanupSemantic`, likewise checked equal to the
library's; other cleanups stay the Python library's. With a deadline (Diff_Timeout > 0) or line mode
the library's own code runs.
"""

from __future__ import annotations

import fast_diff_match_patch
from diff_match_patch import diff_match_patch

_OPS = {"=": 0, "-": -1, "+": 1}


class FastDiffMatchPatch(diff_match_patch):
    def diff_main(self, text1: str, text2: str, checklines: bool = True, deadline: float | None = None):
        if self.Diff_Timeout > 0 or checklines:
            return super().diff_main(text1, text2, checklines, deadline)
        return _port(text1, text2, "No")

    def diff_semantic(self, text1: str, text2: str) -> list[tuple[int, str]]:
        """diff_main(text1, text2, False) followed by diff_cleanupSemantic, in one call."""
        if self.Diff_Timeout > 0:
            diffs = self.diff_main(text1, text2, False)
            self.diff_cleanupSemantic(diffs)
            return diffs
        return _port(text1, text2, "Semantic")


def _port(text1: str, text2: str, cleanup: str) -> list[tuple[int, str]]:
    """The C++ port's diff with no deadline, as the Python library's (op, text) tuples."""
    raw = fast_diff_match_patch.diff(text1, text2, timelimit=0, checklines=False, cleanup=cleanup, counts_only=False)
    return [(_OPS[op], text) for op, text in raw]


# The instance redlines diff with: no deadline, so the same texts always give the same diffs.
dmp = FastDiffMatchPatch()
dmp.Diff_Timeout = 0

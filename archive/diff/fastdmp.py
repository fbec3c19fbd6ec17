"""diff-match-patch with a faster middle-snake search, giving exactly the library's diffs.

Redlines run diff-match-patch with Diff_Timeout = 0 (deterministic), where nearly all the time of a
large rewritten clause goes to `diff_bisect`, Myers' O(ND) middle-snake search, in pure Python. This
subclass replaces only that method, with the same algorithm step for step (same diagonals, same order,
same tie-breaks, same split point), so every diff is identical; it is just cheaper per step:
- the texts are compared as lists of code points (indexing a str above U+00FF allocates a new
  one-character string each time, and words are mapped to such characters);
- the backward pass reads reversed lists instead of negative indexes; offsets are precomputed;
- two texts with no character in common need no search at all: the library's answer, once its caller
  merges the pieces (diff_cleanupMerge), is one delete and one insert.
With a deadline (Diff_Timeout > 0) the library's own method runs.
"""

from __future__ import annotations

import sys

from diff_match_patch import diff_match_patch


class FastDiffMatchPatch(diff_match_patch):
    def diff_bisect(self, text1: str, text2: str, deadline: float) -> list[tuple[int, str]]:
        if deadline != sys.maxsize:  # a real deadline: keep the library's time checks
            return super().diff_bisect(text1, text2, deadline)
        if set(text1).isdisjoint(text2):
            return [(self.DIFF_DELETE, text1), (self.DIFF_INSERT, text2)]
        n1, n2 = len(text1), len(text2)
        t1, t2 = list(map(ord, text1)), list(map(ord, text2))
        r1, r2 = t1[::-1], t2[::-1]
        max_d = (n1 + n2 + 1) // 2
        off = max_d  # v[off + k] holds diagonal k; below, k1o / k2o are such offsets
        v_length = 2 * max_d
        v1 = [-1] * v_length
        v1[off + 1] = 0
        v2 = v1[:]
        delta = n1 - n2
        front = delta % 2 != 0  # which pass checks for overlap, as in the library
        k1start = k1end = k2start = k2end = 0
        for d in range(max_d):
            lo, hi = off - d, off + d  # offsets of diagonals -d and d
            for k1o in range(lo + k1start, hi + 1 - k1end, 2):
                x1 = v1[k1o + 1] if k1o == lo or (k1o != hi and v1[k1o - 1] < v1[k1o + 1]) else v1[k1o - 1] + 1
                y1 = x1 - k1o + off
                while x1 < n1 and y1 < n2 and t1[x1] == t2[y1]:
                    x1 += 1
                    y1 += 1
                v1[k1o] = x1
                if x1 > n1:
                    k1end += 2
                elif y1 > n2:
                    k1start += 2
                elif front:
                    k2o = 2 * off + delta - k1o
                    if 0 <= k2o < v_length and v2[k2o] != -1 and x1 >= n1 - v2[k2o]:
                        return self.diff_bisectSplit(text1, text2, x1, y1, deadline)
            for k2o in range(lo + k2start, hi + 1 - k2end, 2):
                x2 = v2[k2o + 1] if k2o == lo or (k2o != hi and v2[k2o - 1] < v2[k2o + 1]) else v2[k2o - 1] + 1
                y2 = x2 - k2o + off
                while x2 < n1 and y2 < n2 and r1[x2] == r2[y2]:
                    x2 += 1
                    y2 += 1
                v2[k2o] = x2
                if x2 > n1:
                    k2end += 2
                elif y2 > n2:
                    k2start += 2
                elif not front:
                    k1o = 2 * off + delta - k2o
                    if 0 <= k1o < v_length and v1[k1o] != -1:
                        x1 = v1[k1o]
                        if x1 >= n1 - x2:
                            return self.diff_bisectSplit(text1, text2, x1, off + x1 - k1o, deadline)
        return [(self.DIFF_DELETE, text1), (self.DIFF_INSERT, text2)]

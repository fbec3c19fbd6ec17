"""Whole-corpus extraction time against bare pdfplumber `extract_text()` over the same pages.

Run: .venv/bin/python -m bench.bench_extract [--rounds N]
Both sides parse every page from scratch (a fresh pdfplumber.open per file), in the same process,
alternating, best of N rounds. Target: ratio <= 1.5. Then the fidelity of each version: word-level F1
of the extracted text against the corpus's reference text (tests/test_extract.py holds the floor).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pdfplumber

from ingest.pdf import extract_pdf

CORPUS = Path(__file__).resolve().parents[1] / ".." / "shared" / "corpus"


def corpus_pdfs() -> list[Path]:
    return sorted(CORPUS.glob("anthropic-rsp*/pdf/*.pdf"))


def bare(paths: list[Path]) -> tuple[float, int]:
    start, pages = time.perf_counter(), 0
    for path in paths:
        with pdfplumber.open(path) as pdf:
            for page in pdf.pages:
                page.extract_text()
                page.close()
                pages += 1
    return time.perf_counter() - start, pages


def ours(paths: list[Path]) -> float:
    start = time.perf_counter()
    for path in paths:
        extract_pdf(path, max_pages=10_000, max_bytes=1 << 30)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="timing rounds; the best is kept")
    args = parser.parse_args()
    paths = corpus_pdfs()
    best_bare = best_ours = float("inf")
    pages = 0
    for _ in range(args.rounds):
        t, pages = bare(paths)
        best_bare = min(best_bare, t)
        best_ours = min(best_ours, ours(paths))
    print(f"files: {len(paths)}  pages: {pages}")
    print(f"bare extract_text: {best_bare:.2f} s  ({pages / best_bare:.1f} pages/s)")
    print(f"extract_pdf:       {best_ours:.2f} s  ({pages / best_ours:.1f} pages/s)")
    print(f"ratio: {best_ours / best_bare:.2f}  (target <= 1.5)")
    fidelity()


def fidelity() -> None:
    from tests.pdfmaker import corpus_versions, document_text, f1, reference_text, tokens

    scores = []
    for v in corpus_versions():
        doc = extract_pdf(v.pdf, max_pages=10_000, max_bytes=1 << 30)
        scores.append(f1(tokens(document_text(doc)), tokens(reference_text(v.text))))
        print(f"word F1 {v.policy} {v.version}: {scores[-1]:.4f}")
    print(f"lowest word F1: {min(scores):.4f}  (floor 0.995)")


if __name__ == "__main__":
    main()

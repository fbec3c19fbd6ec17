"""The Whoosh index: one document per clause per version, derived from SQL and never the source of truth.

A clause's footnotes are indexed with it, so a hit there is attributed to the clause: in its `text`
field after the body (the stored `text` stays the body alone), which every bare word searches at
no extra cost per query, and in a `footnotes` field of their own for `footnotes:` queries. Quote
lookup sees each footnote as a view of its clause (`IndexedClause.footnote_views`).

Beside the Whoosh files the index folder holds `fingerprint.json`: a digest of what SQL held when the
index was built (versions, their text hashes, clause counts, lineages, policy names) plus the schema
version and the document count. `open_index` serves an index only when that fingerprint equals the
one SQL gives now and the index opens and reads back the expected number of documents; a missing,
stale or damaged index yields None and the caller rebuilds it.

Rebuilds are written to a sibling folder and swapped in with two renames, under an exclusive lock
file (`<index>.lock`), so there is one writer at a time and readers never see a half-built index.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import re
import shutil
import threading
import time
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from whoosh import index as windex
from whoosh.fields import ID, NUMERIC, STORED, TEXT, Schema

from archive.errors import ServiceUnavailable
from archive.search.analysis import NOTE_SEP, ArchiveTokenizer, learn_compounds, learn_splits
from archive.types import PAGE_SEPARATOR, Clause, Footnote, PolicyInfo, VersionInfo

# Bumped whenever what is indexed changes: an index of another version is rebuilt on first use.
# search-3: footnotes indexed (in text after the body, and in footnotes) and stored in meta; the
# hyphenated compounds table; "×" read as x. search-4: each clause's printed heading stored in meta.
# search-5: run-togethers repeated across versions split too ("capablemodels").
SCHEMA_VERSION = "search-5"
TEXTS_INDEX = "texts"  # second Whoosh index in the folder: one document per distinct (title, text, footnotes)
FINGERPRINT_FILE = "fingerprint.json"
LOCK_TIMEOUT_S = 600.0
POOL_SIZE = 16  # idle searchers kept per index (one per concurrent request)
FILTER_CACHE = 256


@dataclass(frozen=True)
class IndexedClause:
    """What the index holds about one clause of one version (enough to cite it without SQL)."""

    policy: str
    policy_title: str
    publisher: str
    version: str
    effective: str  # ISO date
    position: int
    number: str
    title: str
    lineage: str | None
    text: str
    page_start: int
    page_end: int
    body_page: int  # page on which `text` starts
    page_breaks: tuple[int, ...] = ()  # offsets in `text` where a new page starts
    body_offset: int = 0  # offset of text[0] in the version's full text
    footnotes: tuple[Footnote, ...] = ()
    # The heading as printed before `text` in the version's full text ("3.6. External Review\n\n"),
    # page separators kept; "" when unknown (a clause with no text of its own).
    heading: str = ""
    # Set on a view of one footnote (see footnote_views): `text` is then that footnote's text, its
    # marker is `footnote`, and `of` is the clause it belongs to.
    footnote: str | None = None
    of: IndexedClause | None = field(default=None, compare=False, repr=False)
    # Set on the heading view (see heading_view): how many characters of heading precede the body.
    lead: int = 0

    @property
    def doc_id(self) -> str:
        return f"{self.policy}@{self.version}#{self.position}"

    @property
    def group(self) -> str:
        """Collapse key: the lineage when known, else the clause's number (or title) in its policy."""
        if self.lineage:
            return f"{self.policy}|L|{self.lineage}"
        return f"{self.policy}|N|{(self.number or self.title).lower()}"

    @property
    def label(self) -> str:
        return self.number or self.title

    def page_at(self, offset: int) -> int:
        """The page of a character offset in `text`."""
        return self.body_page + bisect_right(self.page_breaks, offset)  # page_breaks ascend

    @property
    def notes_text(self) -> str:
        """The footnotes' texts as the `footnotes` field indexes them (one value, NOTE_SEP between)."""
        return NOTE_SEP.join(f.text for f in self.footnotes)

    @property
    def indexed_text(self) -> str:
        """What the `text` field indexes: the body, then each footnote (NOTE_SEP before each, so no
        phrase runs from the body into a footnote or from one footnote into the next)."""
        return NOTE_SEP.join([self.text, *(f.text for f in self.footnotes)]) if self.footnotes else self.text

    @property
    def clause(self) -> IndexedClause:
        """The clause itself (this entry unless it is a footnote view)."""
        return self.of or self

    def heading_view(self) -> IndexedClause | None:
        """The clause with its printed heading before the body, as one text (`lead` characters of
        heading first), so a quote copied from the heading into the body stands in the clause. Its
        offsets are the version's like the body's: `body_offset` moves back to the heading's start."""
        if not self.heading:
            return None
        heading = self.heading.replace(PAGE_SEPARATOR, "\n")
        breaks = tuple(i for i, ch in enumerate(self.heading) if ch == PAGE_SEPARATOR)
        return replace(
            self,
            text=heading + self.text,
            body_page=self.body_page - len(breaks),
            page_breaks=breaks + tuple(b + len(heading) for b in self.page_breaks),
            body_offset=self.body_offset - len(heading),
            footnotes=(),
            of=self,
            lead=len(heading),
        )

    def footnote_views(self) -> list[IndexedClause]:
        """Each footnote as an entry of its own: same clause, version and citation fields, `text`
        the footnote as printed (marker, space, text: a quote copied with its marker still
        matches), every offset on the footnote's page (the clause's last page if unknown).
        Footnotes are not part of the version's body text, so `body_offset` means nothing here."""
        return [
            replace(
                self,
                text=f"{f.marker} {f.text}",
                body_page=f.page or self.page_end,
                page_breaks=(),
                body_offset=0,
                footnotes=(),
                heading="",
                footnote=f.marker,
                of=self,
            )
            for f in self.footnotes
            if f.text.strip()
        ]


def entry_for(
    version: VersionInfo,
    position: int,
    clause: Clause,
    *,
    full_text: str | None = None,
    policy: PolicyInfo | None = None,
) -> IndexedClause:
    """Turn a stored clause into an index entry; `full_text` (the version's) gives exact pages."""
    body_offset, body_page, breaks, heading = clause.char_start, clause.page_start, (), ""
    if full_text:
        span = full_text[clause.char_start : clause.char_end]
        at = span.replace(PAGE_SEPARATOR, "\n").find(clause.text) if clause.text else -1
        if at >= 0:
            body_offset = clause.char_start + at
            heading = span[:at]
            body_page = clause.page_start + span[:at].count(PAGE_SEPARATOR)
            body = full_text[body_offset : body_offset + len(clause.text)]
            breaks = tuple(i for i, ch in enumerate(body) if ch == PAGE_SEPARATOR)
    return IndexedClause(
        policy=version.policy,
        policy_title=(policy.title if policy else None) or version.title or version.policy,
        publisher=policy.publisher if policy else "",
        version=version.label,
        effective=version.effective.isoformat(),
        position=position,
        number=clause.number,
        title=clause.title,
        lineage=clause.lineage,
        text=clause.text,
        page_start=clause.page_start,
        page_end=clause.page_end,
        body_page=body_page,
        page_breaks=breaks,
        body_offset=body_offset,
        footnotes=tuple(clause.footnotes),
        heading=heading,
    )


def _text_fields(analyzer: ArchiveTokenizer) -> dict:
    return {
        "title": TEXT(analyzer=analyzer, stored=True, field_boost=2.0, multitoken_query="phrase"),
        # Indexes body and footnotes (IndexedClause.indexed_text), stores the body alone.
        "text": TEXT(analyzer=analyzer, stored=True, multitoken_query="phrase"),
        # For `footnotes:` queries only; not stored: the footnotes are in `meta`, with markers and pages.
        "footnotes": TEXT(analyzer=analyzer, multitoken_query="phrase"),
    }


def make_schema(splits: dict[str, tuple[str, ...]], compounds: dict[str, tuple[str, ...]] | None = None) -> Schema:
    analyzer = ArchiveTokenizer(splits, compounds=compounds)
    return Schema(
        id=ID(stored=True, unique=True),
        policy=ID(stored=True, sortable=True),
        version=ID(stored=True, sortable=True),
        effective=ID(stored=True, sortable=True),
        number=ID(stored=True),
        lineage=ID(stored=True),
        group=ID(stored=True, sortable=True),
        position=NUMERIC(stored=True, sortable=True),
        tid=NUMERIC(sortable=True),  # document number of this clause's (title, text, footnotes) in TEXTS_INDEX
        meta=STORED(),
        **_text_fields(analyzer),
    )


def make_texts_schema(analyzer: ArchiveTokenizer) -> Schema:
    """The distinct-texts index: the same title and text fields, analyzed the same way, so a
    text/title-only query matches and scores a distinct text as it would each of its clauses."""
    fields = _text_fields(analyzer)
    for f in fields.values():
        f.stored = False
    return Schema(**fields)


def _meta(e: IndexedClause) -> dict:
    return {
        "policy_title": e.policy_title,
        "publisher": e.publisher,
        "page_start": e.page_start,
        "page_end": e.page_end,
        "body_page": e.body_page,
        "page_breaks": list(e.page_breaks),
        "body_offset": e.body_offset,
        "footnotes": [[f.marker, f.text, f.page] for f in e.footnotes],
        "heading": e.heading,
    }


def from_stored(fields: Mapping) -> IndexedClause:
    meta = fields["meta"]
    return IndexedClause(
        policy=fields["policy"],
        policy_title=meta["policy_title"],
        publisher=meta["publisher"],
        version=fields["version"],
        effective=fields["effective"],
        position=fields["position"],
        number=fields.get("number", ""),
        title=fields.get("title", ""),
        lineage=fields.get("lineage") or None,
        text=fields.get("text", ""),
        page_start=meta["page_start"],
        page_end=meta["page_end"],
        body_page=meta["body_page"],
        page_breaks=tuple(meta["page_breaks"]),
        body_offset=meta["body_offset"],
        footnotes=tuple(Footnote(m, t, p) for m, t, p in meta.get("footnotes", ())),
        heading=meta.get("heading", ""),
    )


def write_index(path: Path, entries: Iterable[IndexedClause], fingerprint: str) -> int:
    """Write a complete index into the empty folder `path`; returns the number of documents."""
    items = list(entries)
    # Newest versions first, so equal scores list the newest version first.
    items.sort(key=lambda e: (-dt.date.fromisoformat(e.effective).toordinal(), e.policy, e.version, e.position))
    corpus = [e.text for e in items] + [e.title for e in items] + [f.text for e in items for f in e.footnotes]
    path.mkdir(parents=True, exist_ok=True)
    schema = make_schema(learn_splits(corpus), learn_compounds(corpus))
    ix = windex.create_in(str(path), schema)
    writer = ix.writer(limitmb=256)
    tids: dict[tuple[str, str, str], int] = {}
    for e in items:
        notes = e.notes_text
        tid = tids.setdefault((e.title, e.indexed_text, notes), len(tids))
        writer.add_document(
            tid=tid,
            id=e.doc_id,
            policy=e.policy,
            version=e.version,
            effective=e.effective,
            number=e.number,
            lineage=e.lineage or "",
            group=e.group,
            position=e.position,
            title=e.title,
            text=e.indexed_text,
            _stored_text=e.text,
            footnotes=notes,
            meta=_meta(e),
        )
    writer.commit()
    ix.close()
    texts = windex.create_in(str(path), make_texts_schema(schema["text"].analyzer), indexname=TEXTS_INDEX)
    writer = texts.writer(limitmb=128)
    for title, text, notes in tids:  # in tid order: document number == tid
        writer.add_document(title=title, text=text, footnotes=notes)
    writer.commit()
    texts.close()
    (path / FINGERPRINT_FILE).write_text(
        json.dumps(
            {"fingerprint": fingerprint, "schema": SCHEMA_VERSION, "doc_count": len(items), "texts_count": len(tids)}
        )
    )
    return len(items)


def read_fingerprint(path: Path) -> dict | None:
    try:
        data = json.loads((path / FINGERPRINT_FILE).read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


@dataclass(eq=False)
class SearchIndex:
    """An opened, validated index, kept open for the life of the process while it stays current.

    Schema and analyzer are read once (Whoosh re-reads and unpickles its TOC on every
    `ix.schema`). Searchers are pooled: each is used by one thread at a time (a Whoosh reader's
    files are not safe to share between threads) and reused, so its caches (term statistics, the
    reader's open files) survive across requests. Stored documents are cached by document number,
    which is stable for an opened index. `texts` is the distinct-texts index (see
    archive.search.distinct), with its own pool.
    """

    path: Path
    ix: windex.Index
    fingerprint: str
    doc_count: int
    texts: windex.Index | None = None
    opened_at: float = field(default_factory=time.monotonic)
    schema: Schema = field(init=False)
    analyzer: ArchiveTokenizer = field(init=False)
    _pool: list = field(default_factory=list, init=False, repr=False)
    _texts_pool: list = field(default_factory=list, init=False, repr=False)
    _pool_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    _docs: dict[int, IndexedClause] = field(default_factory=dict, init=False, repr=False)
    _texts: dict[str, str] = field(default_factory=dict, init=False, repr=False)
    _filters: dict = field(default_factory=dict, init=False, repr=False)
    extras: dict = field(default_factory=dict, init=False, repr=False)  # per-index tables (passages)

    def __post_init__(self) -> None:
        self.schema = self.ix.schema
        self.analyzer = self.schema["text"].analyzer

    @contextmanager
    def searcher(self) -> Iterator:
        with self._pooled(self._pool, self.ix) as s:
            yield s

    @contextmanager
    def texts_searcher(self) -> Iterator:
        assert self.texts is not None
        with self._pooled(self._texts_pool, self.texts) as s:
            yield s

    @contextmanager
    def _pooled(self, pool: list, ix: windex.Index) -> Iterator:
        with self._pool_lock:
            s = pool.pop() if pool else None
        if s is None:
            s = ix.searcher()
        try:
            yield s
        except BaseException:
            s.close()  # a failed search may leave the reader in any state: do not reuse it
            raise
        with self._pool_lock:
            if len(pool) < POOL_SIZE:
                pool.append(s)
                return
        s.close()

    def doc(self, searcher, docnum: int) -> IndexedClause:
        """The stored clause `docnum` (cached; texts shared between identical clauses)."""
        found = self._docs.get(docnum)
        if found is None:
            fields = searcher.stored_fields(docnum)
            text = fields.get("text", "")
            fields["text"] = self._texts.setdefault(text, text)
            found = self._docs[docnum] = from_stored(fields)
        return found

    def all_docs(self) -> list[IndexedClause]:
        """Every stored clause in document order (loaded once per process)."""
        with self.searcher() as s:
            reader = s.reader()
            return [self.doc(s, n) for n in reader.all_doc_ids()]

    def cached_filter(self, key: object, make: Callable[[], frozenset[int]]) -> frozenset[int]:
        """Document numbers a filter allows, computed once per opened index."""
        found = self._filters.get(key)
        if found is None:
            if len(self._filters) >= FILTER_CACHE:
                self._filters.pop(next(iter(self._filters)), None)
            found = self._filters[key] = make()
        return found

    def close(self) -> None:
        with self._pool_lock:
            pool, self._pool, self._texts_pool = self._pool + self._texts_pool, [], []
        for s in pool:
            s.close()


def dir_signature(path: Path) -> tuple | None:
    """(name, size, mtime, inode) of every file in the index folder: a cheap per-request check that
    nothing replaced, truncated or damaged the files of an index this process holds open."""
    try:
        return tuple(
            sorted((e.name, st.st_size, st.st_mtime_ns, st.st_ino) for e in os.scandir(path) if (st := e.stat()))
        )
    except OSError:
        return None


def open_index(path: Path, fingerprint: str) -> SearchIndex | None:
    """The index at `path` if it is present, current (same fingerprint) and readable; else None."""
    meta = read_fingerprint(path)
    if not meta or meta.get("schema") != SCHEMA_VERSION or meta.get("fingerprint") != fingerprint:
        return None
    try:
        ix = windex.open_dir(str(path))
        with ix.searcher() as s:
            n = s.doc_count()
            if n != meta.get("doc_count"):
                return None
            if n:  # read the last document back: a truncated segment fails here
                s.stored_fields(s.reader().doc_count_all() - 1)
            if not isinstance(ix.schema["text"].analyzer, ArchiveTokenizer):
                return None
        texts = windex.open_dir(str(path), indexname=TEXTS_INDEX)
        with texts.searcher() as s:
            if s.doc_count() != meta.get("texts_count"):
                return None
            if n:  # read the last text's length back: a truncated segment fails here
                s.reader().doc_field_length(s.doc_count_all() - 1, "text")
    except Exception:  # noqa: BLE001 - any failure to read means damaged: rebuild, never serve
        return None
    return SearchIndex(path=path, ix=ix, fingerprint=fingerprint, doc_count=n, texts=texts)


@contextmanager
def writer_lock(path: Path, timeout: float = LOCK_TIMEOUT_S) -> Iterator[None]:
    """Exclusive lock for the one index writer (a lock file beside the index folder). A folder that
    cannot be made or written (a setting pointing under a file, a read-only or full disk) is the
    service's problem, not the request's: ServiceUnavailable naming it, never a bare OSError."""
    _check_replaceable(path)  # before the lock file: nothing is left beside a folder that is not ours
    lock_path = path.parent / f"{path.name}.lock"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(lock_path, "a+")  # noqa: SIM115 (the with below closes it, after the body)
    except OSError as exc:
        raise _unusable(path, exc) from None
    with fh:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise ServiceUnavailable("the search index is being rebuilt by another process") from None
                time.sleep(0.05)
        try:
            yield
        except OSError as exc:  # writing the index itself
            raise _unusable(path, exc) from None
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _unusable(path: Path, exc: OSError) -> ServiceUnavailable:
    where = exc.filename or path.parent
    return ServiceUnavailable(f"the search index cannot be written at {where} ({exc.strerror or type(exc).__name__})")


# What an index folder holds: the fingerprint, Whoosh's segments, tables of contents and lock files.
_INDEX_FILE = re.compile(r"fingerprint\.json|[\w-]+\.(?:seg|toc)|[\w-]*WRITELOCK")


def _check_replaceable(path: Path) -> None:
    """A rebuild replaces the whole folder: refuse one that holds anything but an index (a setting
    pointing at someone's folder or file must not cost them its contents)."""
    if not path.exists():
        return
    if not path.is_dir():
        raise ServiceUnavailable(f"the search index path {path} is a file: point the index at a folder of its own")
    stranger = next((p.name for p in sorted(path.iterdir()) if p.is_dir() or not _INDEX_FILE.fullmatch(p.name)), None)
    if stranger is not None:
        raise ServiceUnavailable(
            f"the search index folder {path} holds '{stranger[:80]}', which is not part of an index: "
            "point the index at a folder of its own"
        )


def replace_index(path: Path, build: Callable[[Path], object]) -> None:
    """Build into a sibling folder, then swap it in. Call with `writer_lock` held (which refuses a
    path holding anything but an index)."""
    tmp = path.parent / f".{path.name}.new-{os.getpid()}"
    old = path.parent / f".{path.name}.old-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        build(tmp)
        if path.exists():
            os.rename(path, old)
        os.rename(tmp, path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)

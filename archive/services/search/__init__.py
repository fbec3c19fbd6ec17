"""Search, phrase history, quote resolution and citation checks: SQL in, JSON-ready dicts out.

- `index`: the Whoosh index, derived from SQL and rebuilt whenever it no longer matches it;
- `scope`: the versions a request is limited to;
- `fulltext`: search and a phrase's history;
- `quotes`: where a quote stands (resolve);
- `citations`: checking a list of citations.
"""

from archive.services.search.citations import check_citations
from archive.services.search.fulltext import phrase_history, search
from archive.services.search.index import ensure_index, forget_held, index_status, rebuild_index
from archive.services.search.quotes import resolve

__all__ = [
    "check_citations",
    "ensure_index",
    "forget_held",
    "index_status",
    "phrase_history",
    "rebuild_index",
    "resolve",
    "search",
]

"""HTML pages for researchers (server-rendered; see api/pages/router.py for the URL scheme)."""

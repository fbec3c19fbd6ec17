"""Property-based contract test: schemathesis over /openapi.json, in process against the app.

No 500s, and no response outside the schema (status codes, content types, bodies, headers).
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.app import create_app
from archive.settings import Settings

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


class LateApp:
    """An ASGI app whose target is set by a fixture: the schema is loaded at import, the corpus later."""

    def __init__(self) -> None:
        # The schema does not depend on the data; this app never touches its (in-memory) database.
        self.target = create_app(Settings(database_url="sqlite:///:memory:"))

    async def __call__(self, scope, receive, send) -> None:
        await self.target(scope, receive, send)


LATE = LateApp()
schema = schemathesis.openapi.from_asgi("/openapi.json", LATE)


@pytest.fixture(scope="module", autouse=True)
def corpus_app(corpus_settings):
    LATE.target = create_app(corpus_settings)
    yield
    LATE.target.state.engine.dispose()


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_api_conforms_to_its_schema(case):
    case.call_and_validate(checks=CHECKS)

"""A bounded schema-driven fuzz run (schemathesis) against the live service's
``/openapi.json``: no answer may be a 5xx, and every answer must match the schema."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from serve_fixtures import ServeProcess

schemathesis = pytest.importorskip("schemathesis")
# A schema-valid body is not necessarily a document (random base64): refusing it with 4xx is
# right, so the "schema-valid data must be accepted" check does not apply to this API.
from schemathesis.specs.openapi.checks import positive_data_acceptance  # noqa: E402


def test_no_server_errors_and_schema_conformance(small: ServeProcess) -> None:
    """Each operation gets a few generated requests (valid and invalid ones); the schemathesis
    pytest plugin does not run under this pytest, so hypothesis drives each strategy."""
    api = schemathesis.openapi.from_url(f"{small.url}/openapi.json")
    operations = [op.ok() for op in api.get_all_operations()]
    assert len(operations) >= 10
    headers = {"X-Request-ID": "fuzz"}
    seen: list[int] = []
    modes = list(schemathesis.GenerationMode)  # valid and invalid requests
    for operation in operations:

        @given(case=st.one_of(*(operation.as_strategy(m) for m in modes)))
        @settings(max_examples=8, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def run(case: Any) -> None:
            response = case.call_and_validate(base_url=small.url, headers=headers, timeout=60,
                                              excluded_checks=[positive_data_acceptance])
            seen.append(response.status_code)
            assert response.status_code < 500, response.text

        run()
    assert len(seen) >= 4 * len(operations) and max(seen) < 500
    assert any(400 <= code < 500 for code in seen) and any(code < 300 for code in seen)

"""Schema-driven fuzzing: schemathesis generates requests from /api/schema/ (every documented
parameter and body) and sends them, as a logged-in administrator, to a live server. No answer
may be a server error. Bounded: a few examples per operation, no shrinking beyond the first
failure, so it stays a few minutes at most inside `make test`."""
import base64
import json

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings

PASSWORD = "fuzz-pw-geogrid"


@pytest.fixture
def api_user(db, demo_grids):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_superuser("fuzz-admin", "fuzz@example.invalid", PASSWORD)


@pytest.fixture
def api_schema(live_server, api_user):
    """The schema /api/schema/ serves, generated in-process (the same generator and settings)."""
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    document = json.loads(OpenApiJsonRenderer().render(SchemaGenerator().get_schema(request=None, public=True)))
    return schemathesis.openapi.from_dict(document)


def test_no_generated_request_gives_a_server_error(api_schema, live_server):
    """Every operation of the schema, a few generated cases each; the server errors are counted
    over the whole run and reported together (schemathesis' pytest plugin does not run under
    pytest 9, so the cases are drawn from each operation's strategy here)."""
    auth = base64.b64encode(f"fuzz-admin:{PASSWORD}".encode()).decode()
    headers = {"Authorization": f"Basic {auth}"}
    errors, operations, calls = [], 0, [0]
    for result in api_schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(max_examples=5, deadline=None, derandomize=True, database=None,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        def run(case):
            response = case.call(base_url=live_server.url, headers=headers, timeout=120)
            calls[0] += 1
            if response.status_code >= 500:
                errors.append((case.method, case.formatted_path, case.query, str(case.body)[:200],
                               response.status_code))

        run()
    assert operations >= 50 and calls[0] >= operations
    assert not errors, f"{len(errors)} server errors: {errors[:20]}"

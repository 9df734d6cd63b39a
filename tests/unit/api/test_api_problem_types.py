"""Errors are mapped in one place: every refusal of the core has a stable problem type, and the
OpenAPI document says which problems each operation may answer, as application/problem+json."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import custody
from api.app import create_app
from api.errors import PROBLEMS, problem_type_of
from custody.errors import CustodyError, InvalidInput, NotFound

# The problem types clients rely on: a change here is a change of the API.
STABLE = {
    "invalid-input": 422,
    "invalid-evidence-number": 422,
    "not-found": 404,
    "unknown-item": 404,
    "unknown-case": 404,
    "unknown-unit": 404,
    "unknown-user": 404,
    "unknown-station": 404,
    "already-exists": 409,
    "username-unavailable": 409,
    "not-permitted": 403,
    "device-not-bound": 403,
    "illegal-transition": 409,
    "transition-refused": 409,
    "conflict": 409,
    "unauthenticated": 401,
    "login-failed": 401,
    "too-many-attempts": 429,
    "malformed-request": 400,
    "service-unavailable": 503,
    "internal-error": 500,
}


def _every_refusal() -> set[type[CustodyError]]:
    for module in pkgutil.walk_packages(custody.__path__, "custody."):
        if ".migrations" not in module.name:
            importlib.import_module(module.name)
    found: set[type[CustodyError]] = set()
    todo = [CustodyError]
    while todo:
        cls = todo.pop()
        found.add(cls)
        todo.extend(cls.__subclasses__())
    return found


@pytest.mark.parametrize(
    "refusal", sorted(_every_refusal(), key=lambda c: c.__qualname__), ids=lambda c: c.__name__
)
def test_every_refusal_of_the_core_has_its_own_problem_type(refusal):
    assert refusal.code in PROBLEMS, f"{refusal.__name__} ({refusal.code}) is not mapped in api/errors.py"
    assert 400 <= PROBLEMS[refusal.code].status < 600


def test_problem_types_keep_their_status():
    assert {code: PROBLEMS[code].status for code in STABLE} == STABLE
    assert all(kind.uri == f"/problems/{code}" for code, kind in PROBLEMS.items())


def test_an_unmapped_refusal_answers_as_its_nearest_mapped_ancestor():
    class UnknownShelf(NotFound):
        code = "unknown-shelf"

    assert problem_type_of(UnknownShelf("x")).code == "not-found"
    assert problem_type_of(InvalidInput("x", "field")).status == 422


def test_the_openapi_document_lists_each_operations_problems():
    document = create_app().openapi()
    problem_ref = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    assert "HTTPValidationError" not in document["components"]["schemas"]
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            errors = {status: r for status, r in responses.items() if status[0] in "45"}
            assert all(r["content"] == problem_ref for r in errors.values()), (method, path)
            if not path.startswith("/api/"):
                continue
            assert "503" in responses, (method, path)
            if operation["security"]:
                assert {"401", "403"} <= set(responses), (method, path)
                assert operation["description"].startswith("Admits: "), (method, path)
            if "requestBody" in operation:
                assert {"400", "422"} <= set(responses), (method, path)

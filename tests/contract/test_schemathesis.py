"""The published OpenAPI document tells the truth: schemathesis against a real `bookshelf serve`.

Every operation in /api/openapi.json is called with generated requests, authenticated the way
each surface expects, and each answer must be no 5xx, a declared status, a declared media type,
declared headers and a body that matches the declared schema.
"""

from __future__ import annotations

import base64
import hashlib
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.core.failures import FailureGroup  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.builders import make_epub, make_jpeg  # noqa: E402
from tests.serve import Server, running_server  # noqa: E402

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
USER, PASSWORD = "reader", "contract-pw"
BASIC = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
KOSYNC = {"x-auth-user": USER, "x-auth-key": hashlib.md5(PASSWORD.encode()).hexdigest()}

# Small, bounded and repeatable: eight generated requests per operation and mode, same every run.
PROFILE = settings(
    max_examples=int(os.environ.get("BOOKSHELF_CONTRACT_EXAMPLES", "8")),
    deadline=None,
    derandomize=os.environ.get("BOOKSHELF_CONTRACT_RANDOM") != "1",
    database=None,
    suppress_health_check=list(HealthCheck),
)
# Calls that would lock the rest of the run out: replacing or deleting the opds and kosync
# credentials every /opds and /kosync call uses. They are fuzzed on another service instead.
FIXED: dict[tuple[str, str], dict[str, Any]] = {
    ("PUT", "/api/credentials/{service}"): {"path_parameters": {"service": "google_books"}},
    ("DELETE", "/api/credentials/{service}"): {"path_parameters": {"service": "google_books"}},
}


def _wait(condition: Any, what: str, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise TimeoutError(f"timed out waiting for {what}")


def _seed(base: str, folder: Path) -> dict[str, str]:
    """An API key, opds and kosync credentials and three books (one organized) so ids exist."""
    setup = httpx.post(base + "/api/auth/setup", json={"label": "contract"})
    assert setup.status_code == 201, setup.text
    http = httpx.Client(base_url=base, headers={"Authorization": "Bearer " + setup.json()["key"]}, timeout=30)
    for service in ("opds", "kosync"):
        answer = http.put(f"/api/credentials/{service}", json={"username": USER, "password": PASSWORD})
        assert answer.status_code == 200, answer.text
    files = []
    for n, title in enumerate(("Contract One", "Contract Two", "Contract Three")):
        path = make_epub(folder / f"book{n}.epub", title=title, authors=[f"Author {n}"], cover=make_jpeg(),
                         uid=f"urn:uuid:00000000-0000-4000-8000-00000000000{n}")  # fmt: skip
        files.append(("file", (path.name, path.read_bytes(), "application/epub+zip")))
    upload = http.post("/api/inbox/upload", files=files)
    assert upload.status_code == 201 and len(upload.json()["uploaded"]) == 3, upload.text
    book_id = upload.json()["uploaded"][0]["bookId"]

    def in_review() -> bool:
        return http.get(f"/api/inbox/{book_id}").json().get("status") == "review"

    _wait(in_review, "the first upload to reach review")
    approved = http.post(f"/api/books/{book_id}/approve", json={"selections": {}, "overrides": {}})
    assert approved.status_code == 200, approved.text

    def organized() -> bool:
        queue = http.get("/api/jobs/status").json()["queues"]["organize"]
        done = queue["waiting"] == 0 and queue["active"] == 0 and queue["completed"] >= 1
        return done and http.get(f"/api/library/{book_id}").status_code == 200

    _wait(organized, "the approved book to be organized")
    review_id = upload.json()["uploaded"][1]["bookId"]
    _wait(lambda: http.get(f"/api/inbox/{review_id}").json().get("status") == "review", "a second book in review")
    file = http.get(f"/api/library/{book_id}").json()["files"][0]
    candidate = http.get(f"/api/books/{review_id}/candidates").json()["candidates"][0]
    http.close()
    return {"key": setup.json()["key"], "organized": book_id, "review": review_id, "file": file["id"],
            "document": file["koreaderHash"], "candidate": candidate["id"]}  # fmt: skip


def seeded_ids(path: str, seeded: dict[str, str]) -> dict[str, str]:
    """Path parameters naming the seeded books, so answers about real things are checked too."""
    inbox = path.startswith(("/api/inbox/", "/api/books/"))
    known = {"id": seeded["review" if inbox else "organized"], "fileId": seeded["file"],
             "document": seeded["document"], "candidateId": seeded["candidate"], "service": "opds"}  # fmt: skip
    return {name: value for name, value in known.items() if "{" + name + "}" in path}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, dict[str, str]]]:
    root = tmp_path_factory.mktemp("contract")
    # Generated mail server settings would send test messages to generated host names: pin the
    # server to a closed loopback port instead (PUT/DELETE then answer 409, a test message 502).
    mail = {"BOOKSHELF_SMTP_HOST": "127.0.0.1", "BOOKSHELF_SMTP_PORT": "9", "BOOKSHELF_SMTP_SECURITY": "none",
            "BOOKSHELF_SMTP_FROM": "shelf@example.org"}  # fmt: skip
    with running_server(root / "data", env=mail) as server:
        yield server, _seed(server.base_url, root)


@pytest.fixture(scope="module")
def api_schema(served: tuple[Server, dict[str, str]]) -> Any:
    server, _ = served
    return schemathesis.openapi.from_url(server.base_url + "/api/openapi.json")


def auth_headers(path: str, key: str) -> dict[str, str]:
    if path.startswith("/opds"):
        return {"Authorization": BASIC}
    if path.startswith("/kosync"):
        return dict(KOSYNC)
    return {"Authorization": "Bearer " + key}


def fuzz_operation(operation: Any, mode: Any, base_url: str, key: str, **fixed: Any) -> int:
    """Run one operation's generated cases; the number of calls made (a failure raises)."""
    calls = 0
    declared = set(operation.definition.raw["responses"])

    @given(case=operation.as_strategy(generation_mode=mode, **fixed))
    @settings(PROFILE)
    def run(case: Any) -> None:
        nonlocal calls
        calls += 1
        response = case.call_and_validate(
            base_url=base_url, headers=auth_headers(case.path, key), checks=CHECKS, timeout=30
        )
        # `default` would accept any status: each one answered must be listed by number.
        assert str(response.status_code) in declared, (
            f"{case.method} {case.formatted_path} answered {response.status_code}, not listed in {sorted(declared)}"
        )

    run()
    return calls


def has_inputs(operation: Any) -> bool:
    raw = operation.definition.raw
    return bool(raw.get("parameters") or raw.get("requestBody"))


def passes(operation: Any, seeded: dict[str, str]) -> list[tuple[Any, dict[str, Any]]]:
    """Generated valid input; invalid input when there is any to get wrong; and for reads of one
    thing, valid input naming the seeded books (generated ids would only ever be 404)."""
    fixed = FIXED.get((operation.method.upper(), operation.path), {})
    runs: list[tuple[Any, dict[str, Any]]] = [(GenerationMode.POSITIVE, fixed)]
    if has_inputs(operation):
        runs.append((GenerationMode.NEGATIVE, fixed))
    ids = seeded_ids(operation.path, seeded)
    if ids and operation.method.upper() == "GET":
        runs.append((GenerationMode.POSITIVE, {"path_parameters": ids}))
    return runs


def test_api_conforms_to_its_spec(api_schema: Any, served: tuple[Server, dict[str, str]]) -> None:
    server, seeded = served
    failures: list[str] = []
    operations = calls = 0
    for result in api_schema.get_all_operations():
        operation = result.ok()
        operations += 1
        for mode, fixed in passes(operation, seeded):
            label = f"{operation.label} [{mode.value}{', fixed ' + str(fixed) if fixed else ''}]"
            try:
                calls += fuzz_operation(operation, mode, server.base_url, seeded["key"], **fixed)
            except (Exception, FailureGroup) as exc:  # each run's failure is reported, then the next runs
                failures.append(f"{label}: {exc}")
    print(f"schemathesis: {operations} operations, {calls} calls")
    assert operations > 50 and calls > operations
    assert not failures, f"{len(failures)} runs do not conform:\n" + "\n\n".join(failures)


def tampered(served: tuple[Server, dict[str, str]], edit: Any) -> Any:
    """The served spec with one lie told in it, loaded as the real run loads it."""
    server, _ = served
    spec = httpx.get(server.base_url + "/api/openapi.json").json()
    edit(spec["paths"])
    return schemathesis.openapi.from_dict(spec)


def only(schema: Any, method: str, path: str) -> Any:
    return next(op.ok() for op in schema.get_all_operations() if op.ok().label == f"{method} {path}")


@pytest.mark.parametrize(
    "method,path,edit",
    [
        # A body field the server never sends, required by the spec: the schema check fails.
        ("GET", "/api/inbox/count", lambda p: p["/api/inbox/count"]["get"]["responses"]["200"]["content"][
            "application/json"]["schema"].setdefault("required", []).append("neverSent")),
        # An unknown id answers 404; with 404 no longer listed the status check fails even though
        # `default` would still cover it.
        ("GET", "/api/library/{id}", lambda p: p["/api/library/{id}"]["get"]["responses"].pop("404")),
        # Covers are JPEG or PNG; declared as GIF only, the media type check fails.
        ("GET", "/api/library/{id}/cover", lambda p: p["/api/library/{id}/cover"]["get"]["responses"]["200"]
            .update(content={"image/gif": {"schema": {"type": "string", "format": "binary"}}})),
    ],
)  # fmt: skip
def test_a_lie_in_the_spec_is_caught(served: tuple[Server, dict[str, str]], method: str, path: str, edit: Any) -> None:
    server, seeded = served
    operation = only(tampered(served, edit), method, path)
    fixed = {"path_parameters": seeded_ids(path, seeded)} if "{id}" in path and "cover" in path else {}
    with pytest.raises((AssertionError, FailureGroup)):
        fuzz_operation(operation, GenerationMode.POSITIVE, server.base_url, seeded["key"], **fixed)

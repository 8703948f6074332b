"""/api/jobs: queue counts, failed jobs and retries."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from bookshelf.errors import InvalidInput
from bookshelf.services.jobs import QUEUES
from bookshelf.web.api import runtime
from bookshelf.web.http import ok
from bookshelf.web.paging import limit
from bookshelf.web.routing import Endpoint, path_param
from bookshelf.web.schemas import obj, ref

LIMIT = limit(100, 500)

STATES = ("waiting", "active", "completed", "failed", "delayed", "paused")
QUEUE_COUNTS = obj({state: {"type": "integer"} for state in STATES}, list(STATES))


async def status(request: Request) -> Response:
    return ok({"queues": await runtime(request).jobs.status()})


async def failed(request: Request) -> Response:
    limit = LIMIT.parse(request)
    jobs, total = await runtime(request).jobs.failed(limit)
    return ok({"jobs": [job.failed_json() for job in jobs], "total": total})


async def retry(request: Request) -> Response:
    job_id = request.path_params["id"]
    if not 1 <= len(job_id) <= 100:
        raise InvalidInput("id must be a job id")
    job = await runtime(request).jobs.retry(job_id)
    return ok({"id": job.id, "queue": job.queue, "status": "waiting"})


ENDPOINTS = [
    Endpoint(
        "GET",
        "/api/jobs/status",
        status,
        "Job queue status",
        "jobs",
        description="Job counts per queue (waiting, active, completed, failed, delayed, paused).",
        responses={200: obj({"queues": obj({q: QUEUE_COUNTS for q in QUEUES})}, ["queues"])},
    ),
    Endpoint(
        "GET",
        "/api/jobs/failed",
        failed,
        "List failed jobs",
        "jobs",
        params=(LIMIT.param(),),
        description="Failed jobs across all queues, newest failure first, with the error that stopped them.",
        responses={
            200: obj(
                {"jobs": {"type": "array", "items": ref("FailedJob")}, "total": {"type": "integer"}}, ["jobs", "total"]
            ),  # fmt: skip
            400: ref("Error"),
        },
    ),
    Endpoint(
        "POST",
        "/api/jobs/{id}/retry",
        retry,
        "Retry a failed job",
        "jobs",
        params=(path_param("id", "Job id", fmt=None),),
        description="Queue a failed job again under the same id; its book returns to processing.",
        responses={
            200: obj(
                {
                    "id": {"type": "string"},
                    "queue": {"type": "string"},
                    "status": {"type": "string", "const": "waiting"},
                },
                ["id", "queue", "status"],
            ),
            404: ref("Error"),
            409: ref("Error"),
        },
    ),
]

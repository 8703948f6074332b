"""Library imports as a service: checked paths, one import job at a time, its progress and counts.

The HTTP API and the command line both end in :meth:`ImportService.run`; the
API runs it as a queue job whose progress (0..1) is on the job row and whose
counts are in ``import_runs`` for GET /api/import/{jobId}.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bookshelf import clock
from bookshelf.db import Database
from bookshelf.db import imports as import_rows
from bookshelf.db import jobs as job_rows
from bookshelf.errors import Conflict, InvalidInput, NotFound
from bookshelf.services.importing.calibre import CalibreImporter
from bookshelf.services.importing.filing import Filer
from bookshelf.services.importing.folder import Drain, FolderImporter
from bookshelf.services.importing.report import ImportReport, Sink
from bookshelf.services.ingest.pipeline import IngestService
from bookshelf.services.jobs import JobService
from bookshelf.settings import Settings

TASK = "import_library"
MODES = ("calibre", "folder")


@dataclass(frozen=True)
class ImportRequest:
    path: Path
    mode: str
    in_place: bool = False
    review: bool = False
    move: bool = False


def check_request(req: ImportRequest) -> ImportRequest:
    """Options that make sense together and a source that exists (CLI and API alike)."""
    if req.mode not in MODES:
        raise InvalidInput("mode must be calibre or folder", details=[{"field": "mode"}])
    if req.in_place and req.mode != "folder":
        raise InvalidInput("inPlace is for plain folder trees; a calibre library is copied",
                           details=[{"field": "inPlace"}])  # fmt: skip
    if req.in_place and (req.move or req.review):
        raise InvalidInput("an in-place import neither moves files nor sends them to review")
    if req.review and req.mode != "calibre":
        raise InvalidInput("review is for calibre imports; copied folders always go to the inbox",
                           details=[{"field": "review"}])  # fmt: skip
    if not req.path.is_dir():
        raise InvalidInput(f"{req.path} is not a folder", details=[{"field": "path"}])
    if req.mode == "calibre" and not (req.path / "metadata.db").is_file():
        raise InvalidInput(f"{req.path} is not a calibre library (no metadata.db)", details=[{"field": "path"}])
    return req


def allowed_path(settings: Settings, raw: Any) -> Path:
    """``raw`` resolved (symlinks followed) if it is inside one of settings.import_roots."""
    if not isinstance(raw, str) or not raw.strip() or "\x00" in raw:
        raise InvalidInput("path must be a non-empty string", details=[{"field": "path"}])
    if not settings.import_roots:
        raise InvalidInput("No import folders are configured; set BOOKSHELF_IMPORT_ROOTS to allow imports",
                           details=[{"field": "path"}])  # fmt: skip
    path = Path(raw)
    if not path.is_absolute():
        raise InvalidInput("path must be absolute", details=[{"field": "path"}])
    try:
        real = path.resolve(strict=True)
    except (OSError, RuntimeError):
        raise InvalidInput(f"{raw} does not exist", details=[{"field": "path"}]) from None
    for root in settings.import_roots:
        base = root.resolve()
        if real == base or base in real.parents:
            return real
    allowed = ", ".join(str(r) for r in settings.import_roots)
    raise InvalidInput(f"path must be inside an import folder ({allowed})", details=[{"field": "path"}])


class ImportService:
    """``filer`` files calibre books as they arrive (the organize service); ``ingest`` takes folder files."""

    def __init__(self, db: Database, settings: Settings, filer: Filer, ingest: IngestService, jobs: JobService) -> None:
        self.db = db
        self.settings = settings
        self.filer = filer
        self.ingest = ingest
        self.jobs = jobs

    async def run(self, req: ImportRequest, sinks: list[Sink], drain: Drain | None = None) -> ImportReport:
        report = ImportReport(sinks=list(sinks))
        if req.mode == "calibre":
            importer = CalibreImporter(self.db, self.settings, report, self.filer)
            return await importer.run(req.path, review=req.review, move=req.move)
        folder = FolderImporter(self.db, self.settings, report, self.ingest, drain)
        return await folder.run(req.path, in_place=req.in_place, move=req.move)

    # -- the API's job -----------------------------------------------------------
    async def start(self, body: Any) -> str:
        if not isinstance(body, dict):
            raise InvalidInput("Body must be a JSON object")
        unknown = sorted(set(body) - {"path", "mode", "inPlace", "review"})
        if unknown:
            raise InvalidInput("Unknown fields", details=[{"field": k, "message": "unknown key"} for k in unknown])
        flags = {k: body.get(k, False) for k in ("inPlace", "review")}
        for key, value in flags.items():
            if not isinstance(value, bool):
                raise InvalidInput(f"{key} must be true or false", details=[{"field": key}])
        path = allowed_path(self.settings, body.get("path"))
        req = check_request(ImportRequest(path, str(body.get("mode")), flags["inPlace"], flags["review"]))
        run_id = str(uuid.uuid4())
        now = clock.now_iso()
        async with self.db.write() as conn:
            job, new = await self.jobs.prepare(conn, TASK, None, run_id=run_id)
            if not new:
                raise Conflict(f"An import is already running (job {job.id})")
            run = import_rows.ImportRun(job_id=job.id, run_id=run_id, mode=req.mode, path=str(req.path),
                                        in_place=req.in_place, review=req.review, created_at=now,
                                        updated_at=now)  # fmt: skip
            await import_rows.insert_run(conn, run)
        await self.jobs.submit(job)
        return job.id

    async def status(self, job_id: str) -> dict[str, Any]:
        async with self.db.read() as conn:
            run = await import_rows.get_run(conn, job_id)
            job = await job_rows.get(conn, job_id)
        if run is None or job is None:
            raise NotFound("Import not found")
        return {
            "jobId": job_id, "state": job.state, "error": job.error, "progress": job.progress or 0.0,
            "mode": run.mode, "path": run.path, "inPlace": run.in_place, "review": run.review,
            "total": run.total, "done": run.done, "imported": run.imported,
            "duplicates": run.duplicates, "failed": run.failed, "skipped": run.skipped, "notes": run.notes,
            "createdAt": run.created_at, "updatedAt": run.updated_at,
        }  # fmt: skip

    async def run_job(self, run_id: str) -> None:
        async with self.db.read() as conn:
            run = await import_rows.run_by_id(conn, run_id)
        if run is None:
            return  # its job was forgotten
        req = check_request(ImportRequest(Path(run.path), run.mode, run.in_place, run.review))
        await self.run(req, [self._job_sink(run)])

    def _job_sink(self, run: import_rows.ImportRun) -> Sink:
        last = [0.0]

        async def save(report: ImportReport, final: bool) -> None:
            now = time.monotonic()
            if not final and now - last[0] < 0.5:
                return
            last[0] = now
            run.total, run.done, run.imported = report.total, report.done, len(report.imported)
            run.duplicates, run.failed, run.skipped = report.duplicates, report.failed, report.skipped
            run.notes = report.notes
            run.updated_at = clock.now_iso()
            async with self.db.write() as conn:
                await import_rows.save_counts(conn, run)
                await job_rows.update(conn, run.job_id, progress=1.0 if final else round(report.fraction, 4),
                                      updated_at=run.updated_at)  # fmt: skip

        return save

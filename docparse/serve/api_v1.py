"""docparse's own API: ``POST /v1/parse`` (answered directly) and the job routes.

Both take the same bodies: ``multipart/form-data`` with the field ``file`` (and optionally
``options``, a JSON object), or ``application/json`` with ``file`` (base64) or ``url``.
The body is read by hand (one route, two content types), so its OpenAPI description is
given explicitly, from the same pydantic models that validate it.
"""

from __future__ import annotations

import asyncio
import base64
from typing import Any, Literal

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from docparse.document import Document
from docparse.serve.context import Service, require_key, service_of
from docparse.serve.inputs import DocumentOptions, ParseRequest
from docparse.serve.jobs import FINISHED, JobRecord
from docparse.serve.problems import RequestRejected

router = APIRouter(prefix="/v1", tags=["docparse"])


class ErrorDetail(BaseModel):
    code: str
    message: str
    request_id: str


class ErrorResponse(BaseModel):
    error: ErrorDetail


class ParseResponse(BaseModel):
    request_id: str
    filename: str
    document: dict[str, Any] = Field(description="the docparse document JSON")
    markdown: str
    images: dict[str, str] | None = Field(
        None, description="pictures the Markdown references (path -> base64 JPEG)")


class JobProgress(BaseModel):
    pages_done: int
    pages_total: int | None = None


class JobView(BaseModel):
    id: str
    status: Literal["queued", "running", "completed", "partial", "failed", "canceled"]
    filename: str
    progress: JobProgress
    created_at: float
    started_at: float | None = None
    finished_at: float | None = None
    expires_at: float | None = None
    error: dict[str, Any] | None = None


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {s: {"model": ErrorResponse} for s in statuses}


_BODY_ERRORS = (400, 401, 403, 413, 415, 422, 429, 500, 503, 504)

#: OpenAPI request body of /v1/parse and /v1/jobs; ``$ref``s point into components (added by
#: the app's OpenAPI builder from :func:`extra_schemas`).
_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {"schema": {
                "type": "object", "required": ["file"],
                "properties": {
                    "file": {"type": "string", "format": "binary"},
                    "options": {"type": "string",
                                "description": "JSON object of DocumentOptions"},
                }}},
            "application/json": {"schema": {"$ref": "#/components/schemas/ParseRequest"}},
        },
    }
}


def extra_schemas() -> dict[str, Any]:
    """Component schemas of the hand-described request bodies."""
    schema = ParseRequest.model_json_schema(ref_template="#/components/schemas/{model}")
    defs = schema.pop("$defs", {})
    return {"ParseRequest": schema, **defs}


def _response(doc: Document, filename: str, request_id: str, with_images: bool) -> dict[str, Any]:
    from pathlib import Path

    stem = Path(filename).stem or "document"
    images = None
    if with_images:
        images = {f"imgs/{stem}/{k}": base64.b64encode(v).decode("ascii")
                  for k, v in doc.images.items()}
    return {"request_id": request_id, "filename": filename, "document": doc.to_dict(),
            "markdown": str(doc.to_markdown(image_dir=f"imgs/{stem}")), "images": images}


@router.post("/parse", response_model=ParseResponse, openapi_extra=_BODY,
             responses=_errors(*_BODY_ERRORS), summary="Parse one document and answer with it")
async def parse(request: Request, owner: str = Depends(require_key)) -> dict[str, Any]:
    svc: Service = service_of(request)
    data, filename, opts = await svc.reader.read(request)
    options = opts.apply(svc.engine.options) if opts else svc.engine.options
    doc = await svc.parse(data, name=filename, options=options, started=request.state.started)
    return await asyncio.to_thread(_response, doc, filename, request.state.request_id,
                                   opts.include_images)


def _job(request: Request, job_id: str, owner: str) -> tuple[Service, JobRecord]:
    svc = service_of(request)
    record = svc.jobs.store.get(job_id, owner) if svc.jobs else None
    if svc.jobs is None or record is None:
        raise RequestRejected("not_found", "no such job")
    return svc, record


@router.post("/jobs", response_model=JobView, status_code=202, openapi_extra=_BODY,
             responses=_errors(*_BODY_ERRORS), summary="Submit a document as a job")
async def submit_job(request: Request, owner: str = Depends(require_key)) -> dict[str, Any]:
    svc = service_of(request)
    assert svc.jobs is not None
    if svc.shutting_down:
        raise RequestRejected("shutting_down", "the service is shutting down")
    if svc.jobs.queued >= svc.jobs.max_queued:
        raise RequestRejected("queue_full", "too many jobs are waiting; retry later",
                              retry_after=svc.gate.retry_after())
    data, filename, opts = await svc.reader.read(request)
    options_json = opts.model_dump(exclude_none=True)
    opts.apply(svc.engine.options)  # reject bad per-request options now, not in the job
    record = await asyncio.to_thread(svc.jobs.store.create, owner=owner, data=data,
                                     filename=filename, options=options_json)
    svc.jobs.submit(record)
    return svc.jobs.view(record)


@router.get("/jobs/{job_id}", response_model=JobView, responses=_errors(401, 404),
            summary="A job's status and progress in pages")
async def get_job(job_id: str, request: Request, owner: str = Depends(require_key)) -> dict[str, Any]:
    svc, record = _job(request, job_id, owner)
    assert svc.jobs is not None
    return svc.jobs.view(record)


@router.get("/jobs/{job_id}/result", response_class=FileResponse,
            responses={200: {"content": {"application/zip": {}},
                             "description": "<stem>.json, <stem>.md and imgs/<stem>/*"},
                       **_errors(401, 404, 409)},
            summary="The result of a finished job as a zip")
async def job_result(job_id: str, request: Request, owner: str = Depends(require_key)) -> Response:
    svc, record = _job(request, job_id, owner)
    path = svc.jobs.store.result_path(job_id) if svc.jobs else None
    if record.status not in ("completed", "partial") or path is None or not path.exists():
        if record.status in FINISHED:
            raise RequestRejected("job_not_finished", f"the job ended {record.status}; it has no result")
        raise RequestRejected("job_not_finished", f"the job is {record.status}")
    from pathlib import Path

    stem = Path(record.filename).stem or "document"
    return FileResponse(path, media_type="application/zip", filename=f"{stem}.zip")


#: Answers of the viewer routes: never sniffed as something else, kept only by the caller.
_VIEW_HEADERS = {"X-Content-Type-Options": "nosniff", "Cache-Control": "private, no-cache",
                 "Referrer-Policy": "no-referrer"}


@router.get("/jobs/{job_id}/view", response_class=Response,
            responses={200: {"content": {"text/html": {}},
                             "description": "the HTML viewer of the job's document"},
                       **_errors(401, 404, 409)},
            summary="The job's document in the HTML viewer")
async def job_view(job_id: str, request: Request, embed: bool = False,
                   owner: str = Depends(require_key)) -> Response:
    """One HTML page: each page with its blocks drawn over it beside their content. Big
    documents reference their page pictures under ``view/imgs/`` (same key); ``embed=true``
    inlines them, for pages that cannot send the key with picture requests."""
    svc, record = _job(request, job_id, owner)
    assert svc.jobs is not None
    store = svc.jobs.store
    path = store.view_path(job_id)
    if record.status not in FINISHED:
        raise RequestRejected("job_not_finished", f"the job is {record.status}")
    if not path.exists():
        raise RequestRejected("job_not_finished",
                              f"the job ended {record.status}; it has no document to view")

    def load() -> bytes:
        from docparse.serve.viewer import embed_pictures

        html = path.read_bytes()
        if not embed:
            return html

        def read(name: str) -> bytes | None:
            found = store.view_picture(job_id, name)
            return found.read_bytes() if found is not None else None

        return embed_pictures(html, read)

    try:
        data = await asyncio.to_thread(load)
    except OSError:  # removed (DELETE, expiry) between the check and the read
        raise RequestRejected("not_found", "no such job") from None
    return Response(data, media_type="text/html; charset=utf-8", headers=_VIEW_HEADERS)


@router.get("/jobs/{job_id}/view/imgs/{name}", response_class=Response,
            responses={200: {"content": {"image/jpeg": {}, "image/png": {}},
                             "description": "a page picture of the viewer"},
                       **_errors(401, 404)},
            summary="A picture the job's viewer references")
async def job_view_picture(job_id: str, name: str, request: Request,
                           owner: str = Depends(require_key)) -> Response:
    svc, _ = _job(request, job_id, owner)
    assert svc.jobs is not None
    path = svc.jobs.store.view_picture(job_id, name)
    if path is None:
        raise RequestRejected("not_found", "no such picture")
    try:
        data = await asyncio.to_thread(path.read_bytes)
    except OSError:  # removed (DELETE, expiry) since the look-up
        raise RequestRejected("not_found", "no such picture") from None
    media = "image/png" if name.endswith(".png") else "image/jpeg"
    return Response(data, media_type=media, headers=_VIEW_HEADERS)


@router.delete("/jobs/{job_id}", response_model=JobView, responses={**_errors(401, 404),
               204: {"description": "a finished job, removed"}},
               summary="Cancel a queued or running job; remove a finished one")
async def delete_job(job_id: str, request: Request, owner: str = Depends(require_key)) -> Any:
    svc, record = _job(request, job_id, owner)
    assert svc.jobs is not None
    if record.status in FINISHED:
        await asyncio.to_thread(svc.jobs.store.remove, job_id)
        return Response(status_code=204)
    return svc.jobs.view(svc.jobs.cancel(record))


async def run_job(svc: Service, record: JobRecord, data: bytes,
                  progress: Any) -> Document:
    """How a queued job is parsed: the gate's line is skipped (the job was admitted already)."""
    opts = DocumentOptions.model_validate(record.options)
    options = opts.apply(svc.engine.options)
    return await svc.parse(data, name=record.filename, options=options, wait=True,
                           on_progress=progress)

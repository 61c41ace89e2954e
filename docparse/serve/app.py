"""The ASGI app: :func:`create_app` wires settings, engine, routes, errors and operations.

Every response carries ``X-Request-ID`` (the client's, when it sent a sane one) and produces
one access-log line (JSON, logger ``docparse.serve.access``). Errors are JSON with a stable
code (:mod:`docparse.serve.problems`); an unexpected exception is logged here and answered
``internal_error`` without a trace.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from docparse._version import __version__
from docparse.options import ParseOptions
from docparse.serve import api_v1, official
from docparse.serve.auth import KeyRing
from docparse.serve.context import Service
from docparse.serve.engine import DocumentEngine
from docparse.serve.inputs import InputReader
from docparse.serve.jobs import JobQueue, JobStore
from docparse.serve.limits import AdmissionGate
from docparse.serve.metrics import CONTENT_TYPE, ServeMetrics
from docparse.serve.problems import CODES, RequestRejected, error_body, official_error_body
from docparse.serve.settings import ServeSettings
from docparse.serve.urlfetch import UrlPolicy

log = logging.getLogger("docparse.serve")
access_log = logging.getLogger("docparse.serve.access")

_OFFICIAL_PATHS = ("/layout-parsing", "/restructure-pages")
#: Routes the framework adds itself, named in metrics (anything else unmatched is one label).
_FIXED_PATHS = ("/openapi.json", "/docs", "/redoc")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
#: HTTP statuses of the framework's own refusals, as stable codes.
_HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 400: "bad_request",
               413: "upload_too_large", 415: "unsupported_input", 422: "invalid_request"}


def _error_response(scope: Scope, exc: RequestRejected) -> JSONResponse:
    state = scope.get("state") or {}
    rid = state.get("log_id") or state.get("request_id", "")
    if scope.get("path", "") in _OFFICIAL_PATHS:
        body = official_error_body(exc.code, exc.message, rid)
    else:
        body = error_body(exc.code, exc.message, rid)
    headers = {}
    if exc.retry_after is not None:
        headers["Retry-After"] = str(int(max(1, exc.retry_after)))
    if exc.code == "unauthorized":
        headers["WWW-Authenticate"] = "Bearer"
    return JSONResponse(body, status_code=exc.status, headers=headers)


class RequestContext:
    """Request id, body-size cap, in-flight gauge, per-route metrics, access log, last-resort
    error JSON. Pure ASGI, so streamed responses pass through untouched."""

    def __init__(self, app: ASGIApp, service: Service) -> None:
        self.app = app
        self.svc = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        given = headers.get("x-request-id", "")
        rid = given if _REQUEST_ID.match(given) else uuid.uuid4().hex
        state = scope.setdefault("state", {})
        state["request_id"] = rid
        state["started"] = started = time.monotonic()
        metrics = self.svc.metrics
        limit = self.svc.settings.max_body_bytes
        status = 500
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"x-request-id", rid.encode())]
            await send(message)

        received = 0

        async def capped_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise RequestRejected("upload_too_large",
                                          f"the request body is larger than {limit} bytes")
            return message

        metrics.in_flight.inc()
        try:
            declared = headers.get("content-length", "")
            if declared.isdigit() and int(declared) > limit:
                raise RequestRejected("upload_too_large",
                                      f"the request body is larger than {limit} bytes")
            await self.app(scope, capped_receive, send_with_id)
        except Exception as exc:
            if not isinstance(exc, RequestRejected):
                log.exception("internal error on %s %s", scope.get("method"), scope.get("path"))
                exc = RequestRejected("internal_error", "internal error")
            metrics.rejected.labels(exc.code).inc()
            if not response_started:
                await _error_response(scope, exc)(scope, receive, send_with_id)
        finally:
            metrics.in_flight.dec()
            route = scope.get("route")
            template = getattr(route, "path", None) or (
                scope.get("path", "") if scope.get("path") in _FIXED_PATHS else "unmatched")
            seconds = time.monotonic() - started
            metrics.requests.labels(template, scope.get("method", ""), str(status)).inc()
            metrics.latency.labels(template).observe(seconds)
            access_log.info(json.dumps({
                "request_id": rid, "method": scope.get("method"), "path": scope.get("path"),
                "route": template, "status": status, "ms": round(seconds * 1000, 1),
                "client": (scope.get("client") or ("", 0))[0],
                "owner": str(state.get("owner", ""))[:12] or None,
            }))


def _install_errors(app: FastAPI, svc: Service) -> None:
    async def rejected(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestRejected)
        svc.metrics.rejected.labels(exc.code).inc()
        return _error_response(request.scope, exc)

    async def invalid(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        errors = exc.errors()
        first = errors[0] if errors else {}
        loc = ".".join(str(p) for p in first.get("loc", ()) if p != "body") or "body"
        msg = f"{loc}: {first.get('msg', 'invalid')}"
        code = "bad_request" if first.get("type") == "json_invalid" else "invalid_request"
        return await rejected(request, RequestRejected(code, msg))

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        code = _HTTP_CODES.get(exc.status_code, "bad_request" if exc.status_code < 500 else "internal_error")
        if code not in CODES:
            code = "bad_request"
        rej = RequestRejected(code, str(exc.detail) if exc.detail else code)
        rej.status = exc.status_code
        response = await rejected(request, rej)
        for k, v in (exc.headers or {}).items():
            response.headers[k] = v
        return response

    app.add_exception_handler(RequestRejected, rejected)
    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(StarletteHTTPException, http_error)


def _ops_routes(app: FastAPI, svc: Service) -> None:
    @app.get("/", tags=["operations"], summary="The upload page (HTML; never needs a key)",
             response_class=HTMLResponse, responses={200: {"content": {"text/html": {}}}})
    async def upload() -> Response:
        from docparse.serve.upload_page import content_security_policy, upload_page

        return HTMLResponse(upload_page(svc.keys.enabled), headers={
            "Content-Security-Policy": content_security_policy() + "; frame-ancestors 'none'",
            "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
            "Cache-Control": "no-cache"})

    @app.get("/health", tags=["operations"], summary="Alive (never needs a key)")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/ready", tags=["operations"], summary="Ready to parse (never needs a key)",
             responses={503: {"description": "not ready"}})
    async def ready() -> Response:
        ok, detail = await svc.engine.ready()
        if svc.shutting_down:
            ok, detail = False, "shutting down"
        return JSONResponse({"status": "ready" if ok else "not_ready", "detail": detail},
                            status_code=200 if ok else 503)

    @app.get("/metrics", tags=["operations"], summary="Prometheus metrics",
             response_class=Response, responses={200: {"content": {"text/plain": {}}}})
    async def metrics() -> Response:
        if svc.jobs is not None:
            counts = await asyncio.to_thread(svc.jobs.counts)
            for status in ("queued", "running", "completed", "partial", "failed", "canceled"):
                svc.metrics.jobs.labels(status).set(counts.get(status, 0))
        return Response(svc.metrics.render(), media_type=CONTENT_TYPE)


def create_app(settings: ServeSettings, options: ParseOptions) -> FastAPI:
    """The service as an ASGI app (models load in its lifespan).

    >>> app = create_app(ServeSettings(), resolve_options({}))  # doctest: +SKIP
    >>> uvicorn.run(app)  # doctest: +SKIP
    """
    metrics = ServeMetrics()
    gate = AdmissionGate(settings.max_documents, settings.queue_size)
    metrics.track_gate(lambda: gate.waiting, lambda: gate.running)
    policy = None
    if settings.url_inputs:
        policy = UrlPolicy.from_strings(settings.url_allow,
                                        connect_timeout=settings.url_connect_timeout,
                                        total_timeout=settings.url_timeout,
                                        max_bytes=settings.max_upload_bytes,
                                        max_redirects=settings.url_max_redirects)
    svc = Service(
        settings=settings, keys=KeyRing(settings.api_keys),
        engine=DocumentEngine(options, metrics=metrics, max_pages=settings.max_pages,
                              backend_cache=settings.backend_cache),
        gate=gate, reader=InputReader(max_bytes=settings.max_upload_bytes, url_policy=policy),
        metrics=metrics,
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        store = JobStore(Path(settings.jobs_dir))

        async def run(record: Any, data: bytes, progress: Any) -> Any:
            return await api_v1.run_job(svc, record, data, progress)

        svc.jobs = JobQueue(store, run, workers=settings.max_documents,
                            max_queued=settings.max_queued_jobs, ttl=settings.job_ttl)
        await svc.engine.start()
        svc.jobs.start()
        log.info("docparse serve: ready")
        try:
            yield
        finally:
            svc.shutting_down = True
            await svc.jobs.stop(settings.shutdown_grace)
            await svc.engine.aclose()

    app = FastAPI(title="docparse serve", version=__version__, lifespan=lifespan,
                  description="Documents to JSON and Markdown over HTTP: docparse's own API "
                  "and the official PaddleOCR-VL serving API (/layout-parsing).")
    app.state.service = svc
    app.include_router(official.router)
    app.include_router(api_v1.router)
    _ops_routes(app, svc)
    _install_errors(app, svc)
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=list(settings.cors_origins),
                           allow_methods=["GET", "POST", "DELETE"],
                           allow_headers=["Authorization", "Content-Type", "X-Request-ID"],
                           expose_headers=["X-Request-ID", "Retry-After"])
    app.add_middleware(RequestContext, service=svc)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version,
                                 description=app.description, routes=app.routes)
            schema.setdefault("components", {}).setdefault("schemas", {}).update(
                api_v1.extra_schemas())
            if not svc.keys.enabled:
                # Without keys nothing is checked: say so, or clients (and fuzzers) expect 401s.
                schema["components"].pop("securitySchemes", None)
                for item in schema.get("paths", {}).values():
                    for operation in item.values():
                        if isinstance(operation, dict):
                            operation.pop("security", None)
                            for code in ("401",):
                                operation.get("responses", {}).pop(code, None)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app

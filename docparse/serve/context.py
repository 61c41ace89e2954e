"""What every route needs, built once per app: settings, keys, engine, gate, jobs, metrics."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from docparse.document import Document
from docparse.errors import ConfigurationError
from docparse.options import ParseOptions
from docparse.serve.auth import KeyRing
from docparse.serve.engine import DocumentEngine, ProgressCallback
from docparse.serve.inputs import InputReader
from docparse.serve.jobs import JobQueue
from docparse.serve.limits import AdmissionGate
from docparse.serve.metrics import ServeMetrics
from docparse.serve.problems import RequestRejected
from docparse.serve.settings import ServeSettings


@dataclass
class Service:
    settings: ServeSettings
    keys: KeyRing
    engine: DocumentEngine
    gate: AdmissionGate
    reader: InputReader
    metrics: ServeMetrics
    jobs: JobQueue | None = None
    shutting_down: bool = False
    background: list[asyncio.Task[None]] = field(default_factory=list)

    async def parse(self, data: bytes, *, name: str, options: ParseOptions,
                    started: float | None = None, wait: bool = False,
                    on_progress: ProgressCallback | None = None) -> Document:
        """One document through the gate. ``started`` (monotonic) starts the request deadline;
        ``wait`` (jobs) waits for a slot even when the line is full."""
        if self.shutting_down:
            raise RequestRejected("shutting_down", "the service is shutting down")
        deadline = None
        if started is not None:
            deadline = self.settings.request_deadline - (time.monotonic() - started)
        async with self.gate.slot(timeout=deadline, always=wait):
            remaining = None
            if started is not None:
                remaining = self.settings.request_deadline - (time.monotonic() - started)
                if remaining <= 0:
                    raise RequestRejected("deadline_exceeded", "the request deadline passed while waiting")
            return await self.engine.parse(data, name=name, options=options,
                                           on_progress=on_progress, deadline=remaining)


def service_of(request: Request) -> Service:
    svc: Service = request.app.state.service
    return svc


_bearer = HTTPBearer(auto_error=False, description="an API key of this service")


def require_key(request: Request,
                credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> str:
    """The caller's owner id (401 without a valid key when keys are configured)."""
    owner = service_of(request).keys.owner_of(request.headers.get("authorization"))
    request.state.owner = owner
    return owner


def apply_options(base: ParseOptions, changes: dict[str, object]) -> ParseOptions:
    try:
        return base.replace(**changes) if changes else base
    except ConfigurationError as exc:
        raise RequestRejected("invalid_request", str(exc)) from exc

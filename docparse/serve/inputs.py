"""Request bodies of docparse's own API: the models (they are the OpenAPI schema too) and
reading one into ``(bytes, file name, options)`` from multipart, base64 JSON or a URL."""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.datastructures import UploadFile
from starlette.requests import Request

from docparse.errors import ConfigurationError
from docparse.options import ParseOptions
from docparse.serve.problems import RequestRejected
from docparse.serve.urlfetch import UrlPolicy, fetch_url

_NAME_OK = re.compile(r"[^A-Za-z0-9._ -]+")


class DocumentOptions(BaseModel):
    """Per-request parse options (the server's options fill the rest)."""

    model_config = ConfigDict(extra="forbid")

    pages: str | None = Field(None, max_length=200, description="1-based page ranges, '1-3,7'")
    dpi: int | None = Field(None, ge=36, le=400, description="PDF render resolution")
    password: str | None = Field(None, max_length=500, description="for encrypted PDFs")
    text_layer: Literal["auto", "off", "prefer"] | None = None
    orientation: Literal["auto", "off"] | None = None
    chart_recognition: bool | None = None
    keep_furniture: bool | None = None
    merge_tables: bool | None = None
    relevel_titles: bool | None = None
    join_paragraphs: bool | None = None
    detect_furniture: bool | None = None
    merge_layout_blocks: bool | None = None
    markdown_ignore_labels: list[str] | None = Field(None, max_length=64)
    include_images: bool = Field(True, description="return pictures (base64) with /v1/parse")

    def apply(self, base: ParseOptions) -> ParseOptions:
        changes = self.model_dump(exclude_none=True, exclude={"include_images"})
        if "markdown_ignore_labels" in changes:
            changes["markdown_ignore_labels"] = tuple(changes["markdown_ignore_labels"])
        try:
            return base.replace(**changes) if changes else base
        except ConfigurationError as exc:
            raise RequestRejected("invalid_request", str(exc)) from exc


class ParseRequest(BaseModel):
    """A JSON body: the document as base64 (``file``) or a URL (``url``), not both."""

    model_config = ConfigDict(extra="forbid")

    file: str | None = Field(None, description="the document, base64-encoded")
    url: str | None = Field(None, max_length=4096, description="http(s) URL to fetch the document from")
    filename: str | None = Field(None, max_length=255, description="names the document in results")
    options: DocumentOptions | None = None


def safe_name(name: str | None, fallback: str = "document") -> str:
    """A file name fit for results and zip entries: no folders, no odd characters."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = _NAME_OK.sub("_", base).strip(" .")[:120]
    return base or fallback


def decode_base64(text: str, *, max_bytes: int) -> bytes:
    if len(text) > max_bytes * 4 // 3 + 8:
        raise RequestRejected("upload_too_large", f"the document is larger than {max_bytes} bytes")
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise RequestRejected("invalid_request", "'file' is not valid base64") from exc
    if not data:
        raise RequestRejected("invalid_input", "the document is empty")
    return data


def is_url(text: str) -> bool:
    return text.startswith(("http://", "https://"))


class InputReader:
    """Turns a request into a document, enforcing the size cap and the URL policy."""

    def __init__(self, *, max_bytes: int, url_policy: UrlPolicy | None) -> None:
        self.max_bytes = max_bytes
        self.url_policy = url_policy

    async def from_url(self, url: str) -> tuple[bytes, str]:
        if self.url_policy is None:
            raise RequestRejected("url_inputs_disabled", "this service does not fetch URLs")
        data, name = await fetch_url(url, self.url_policy)
        if not data:
            raise RequestRejected("invalid_input", "the URL's content is empty")
        return data, name

    async def read(self, request: Request) -> tuple[bytes, str, DocumentOptions]:
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype == "multipart/form-data":
            return await self._multipart(request)
        if ctype in ("application/json", ""):
            try:
                raw = await request.json()
            except (ValueError, UnicodeDecodeError) as exc:
                raise RequestRejected("bad_request", "the body is not valid JSON") from exc
            try:
                body = ParseRequest.model_validate(raw)
            except ValidationError as exc:
                raise RequestRejected("invalid_request", _first_error(exc)) from exc
            if (body.file is None) == (body.url is None):
                raise RequestRejected("invalid_request", "give exactly one of 'file' and 'url'")
            if body.file is not None:
                data, name = decode_base64(body.file, max_bytes=self.max_bytes), "document"
            else:
                data, name = await self.from_url(body.url or "")
            return data, safe_name(body.filename or name), body.options or DocumentOptions()
        raise RequestRejected("unsupported_input",
                              f"send multipart/form-data or application/json, not {ctype}")

    async def _multipart(self, request: Request) -> tuple[bytes, str, DocumentOptions]:
        try:
            form = await request.form(max_files=1, max_fields=4)
        except RequestRejected:
            raise
        except Exception as exc:  # starlette raises its own parse errors (and HTTPException)
            raise RequestRejected("bad_request", "the multipart body cannot be read") from exc
        try:
            upload = form.get("file")
            if not isinstance(upload, UploadFile):
                raise RequestRejected("invalid_request", "the multipart field 'file' is missing")
            data = await upload.read(self.max_bytes + 1)
            if len(data) > self.max_bytes:
                raise RequestRejected("upload_too_large",
                                      f"the document is larger than {self.max_bytes} bytes")
            if not data:
                raise RequestRejected("invalid_input", "the document is empty")
            options = DocumentOptions()
            raw = form.get("options")
            if isinstance(raw, str) and raw.strip():
                try:
                    options = DocumentOptions.model_validate(json.loads(raw))
                except (ValueError, ValidationError) as exc:
                    msg = _first_error(exc) if isinstance(exc, ValidationError) else "not JSON"
                    raise RequestRejected("invalid_request", f"field 'options': {msg}") from exc
            return data, safe_name(upload.filename), options
        finally:
            await form.close()  # spooled upload files are deleted here


def _first_error(exc: ValidationError) -> str:
    err: dict[str, Any] = dict(exc.errors()[0]) if exc.errors() else {}
    loc = ".".join(str(p) for p in err.get("loc", ())) or "body"
    return f"{loc}: {err.get('msg', 'invalid')}"

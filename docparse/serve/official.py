"""``POST /layout-parsing`` and ``POST /restructure-pages``, as the official PaddleOCR-VL
serving API answers them (paddlex ``inference/serving/schemas/paddleocr_vl.py``), so clients
written for it work unchanged.

The request models mirror the official ones field for field (paddlex is optional here, so
they are restated, with the same validation); ``docs/serve.md`` says which fields docparse
honours. Results are built from docparse's document: ``prunedResult`` is each page's JSON
minus ``input_path`` and ``page_index`` (what the official ``prune_result`` drops), so it is a
superset of the official page dict; ``markdown`` is that page's Markdown with its pictures.
"""

from __future__ import annotations

import asyncio
import base64
import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field, field_validator, model_validator

from docparse.document import Document, Page
from docparse.serve.context import Service, apply_options, require_key, service_of
from docparse.serve.inputs import decode_base64, is_url
from docparse.serve.problems import RequestRejected

router = APIRouter(tags=["PaddleOCR-VL compatible"])

_PROMPT_LABELS = ("ocr", "formula", "table", "chart", "seal", "spotting")


class InferRequest(BaseModel):
    """The official ``InferRequest`` (paddlex 3.7.2), restated."""

    file: str = Field(description="base64 of the file, or an http(s) URL")
    fileType: Literal[0, 1] | None = Field(None, description="0 PDF, 1 image; sniffed when absent")
    useDocOrientationClassify: bool | None = None
    useDocUnwarping: bool | None = None
    useLayoutDetection: bool | None = None
    useChartRecognition: bool | None = None
    useSealRecognition: bool | None = None
    useOcrForImageBlock: bool | None = None
    layoutThreshold: float | dict[str, float] | None = None
    layoutNms: bool | None = None
    layoutUnclipRatio: float | tuple[float, float] | dict[str, Any] | None = None
    layoutMergeBboxesMode: str | dict[str, str] | None = None
    layoutShapeMode: Literal["rect", "quad", "poly", "auto"] = "auto"
    promptLabel: str | None = None
    formatBlockContent: bool | None = None
    repetitionPenalty: float | None = None
    temperature: float | None = None
    topP: float | None = None
    minPixels: Annotated[int, Field(gt=0)] | None = None
    maxPixels: Annotated[int, Field(gt=0)] | None = None
    maxNewTokens: Annotated[int, Field(gt=0)] | None = None
    mergeLayoutBlocks: bool | None = None
    markdownIgnoreLabels: list[str] | None = None
    vlmExtraArgs: dict[str, Any] | None = None
    prettifyMarkdown: bool = True
    showFormulaNumber: bool = False
    returnMarkdownImages: bool = True
    restructurePages: bool = False
    mergeTables: bool = True
    relevelTitles: bool = True
    visualize: bool | None = None
    outputFormats: list[str] | None = None
    logId: str | None = None

    @field_validator("topP")
    @classmethod
    def _top_p(cls, v: float | None) -> float | None:
        if v is not None and not 0 < v <= 1:
            raise ValueError(f"`topP` must be > 0 and ≤ 1; got: {v}")
        return v

    @field_validator("temperature")
    @classmethod
    def _temperature(cls, v: float | None) -> float | None:
        if v is not None and v < 0:
            raise ValueError(f"`temperature` must be ≥ 0; got: {v}")
        return v

    @field_validator("repetitionPenalty")
    @classmethod
    def _penalty(cls, v: float | None) -> float | None:
        if v is not None and v <= 0:
            raise ValueError(f"`repetitionPenalty` must be > 0; got: {v}")
        return v

    @field_validator("promptLabel")
    @classmethod
    def _prompt(cls, v: str | None) -> str | None:
        if v is not None and v not in _PROMPT_LABELS:
            raise ValueError(f"`promptLabel` must be one of: {', '.join(_PROMPT_LABELS)}; got: {v}")
        return v

    @field_validator("layoutThreshold")
    @classmethod
    def _threshold(cls, v: float | dict[str, float] | None) -> float | dict[str, float] | None:
        values = v.values() if isinstance(v, dict) else [] if v is None else [v]
        for x in values:
            if not 0 <= x <= 1:
                raise ValueError(f"`layoutThreshold` must be between 0 and 1 inclusive; got: {x}")
        return v

    @field_validator("layoutUnclipRatio")
    @classmethod
    def _unclip(cls, v: Any) -> Any:
        values = [] if v is None or isinstance(v, dict) else list(v) if isinstance(v, tuple) else [v]
        if any(x <= 0 for x in values):
            raise ValueError("`layoutUnclipRatio` must be > 0")
        return v

    @field_validator("outputFormats")
    @classmethod
    def _formats(cls, v: list[str] | None) -> list[str] | None:
        for fmt in v or []:
            if fmt != "docx":
                raise ValueError(f"Unsupported `outputFormats` entry {fmt!r}. Supported values: ['docx']")
        return v

    @model_validator(mode="after")
    def _pixels(self) -> InferRequest:
        if self.minPixels is not None and self.maxPixels is not None and self.minPixels > self.maxPixels:
            raise ValueError(f"`minPixels` ({self.minPixels}) cannot be greater than `maxPixels` ({self.maxPixels})")
        return self


class MarkdownData(BaseModel):
    text: str
    images: dict[str, str] | None = None


class LayoutParsingResult(BaseModel):
    prunedResult: dict[str, Any]
    markdown: MarkdownData
    outputImages: dict[str, str] | None = None
    inputImage: str | None = None


class PageInfo(BaseModel):
    width: int
    height: int


class ImageInfo(BaseModel):
    width: int
    height: int
    type: Literal["image"] = "image"


class PDFInfo(BaseModel):
    numPages: int
    pages: list[PageInfo]
    type: Literal["pdf"] = "pdf"


class TIFFInfo(BaseModel):
    numPages: int
    pages: list[PageInfo]
    type: Literal["tiff"] = "tiff"


DataInfo = ImageInfo | PDFInfo | TIFFInfo


class InferResult(BaseModel):
    layoutParsingResults: list[LayoutParsingResult]
    dataInfo: DataInfo


class InferResponse(BaseModel):
    logId: str
    result: InferResult
    errorCode: Literal[0] = 0
    errorMsg: Literal["Success"] = "Success"


class RestructurePage(BaseModel):
    prunedResult: dict[str, Any]
    markdownImages: dict[str, str] | None = None


class RestructurePagesRequest(BaseModel):
    pages: list[RestructurePage] = Field(max_length=5000)
    mergeTables: bool = True
    relevelTitles: bool = True
    concatenatePages: bool = False
    prettifyMarkdown: bool = True
    showFormulaNumber: bool = False
    returnMarkdownImages: bool = True
    outputFormats: list[str] | None = None
    logId: str | None = None


class RestructurePagesResult(BaseModel):
    layoutParsingResults: list[LayoutParsingResult]


class RestructurePagesResponse(BaseModel):
    logId: str
    result: RestructurePagesResult
    errorCode: Literal[0] = 0
    errorMsg: Literal["Success"] = "Success"


class OfficialError(BaseModel):
    logId: str
    errorCode: int
    errorMsg: str
    code: str = Field(description="docparse's stable error code")


_ERRORS: dict[int | str, dict[str, Any]] = {
    s: {"model": OfficialError} for s in (400, 401, 403, 413, 415, 422, 429, 500, 503, 504)
}


# ---------------------------------------------------------------------------- conversions
def prune(obj: Any) -> Any:
    """The official ``prune_result``: drop ``input_path`` and ``page_index`` at every depth."""
    if isinstance(obj, dict):
        return {k: prune(v) for k, v in obj.items() if k not in ("input_path", "page_index")}
    if isinstance(obj, list):
        return [prune(v) for v in obj]
    return obj


def sniff_type(data: bytes) -> Literal["pdf", "tiff", "image"]:
    if data[:5] == b"%PDF-" or b"%PDF-" in data[:1024]:
        return "pdf"
    if data[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    return "image"


def data_info(doc: Document, kind: str) -> DataInfo:
    pages = [PageInfo(width=p.width, height=p.height) for p in doc.pages]
    if kind == "image" and len(pages) == 1:
        return ImageInfo(width=pages[0].width, height=pages[0].height)
    if kind == "pdf":
        return PDFInfo(numPages=doc.page_count, pages=pages)
    return TIFFInfo(numPages=len(pages), pages=pages)


def page_results(doc: Document, *, with_images: bool,
                 images_by_page: list[dict[str, str]] | None = None) -> list[LayoutParsingResult]:
    """One official result per page of ``doc``; pictures under ``imgs/`` as the official."""
    texts = doc.to_markdown(per_page=True, image_dir="imgs")
    pages = doc.to_dict()["pages"]
    out = []
    for i, (page, text) in enumerate(zip(doc.pages, texts, strict=True)):
        images: dict[str, str] | None = None
        if with_images:
            if images_by_page is not None:
                images = images_by_page[i]
            else:
                images = {f"imgs/{b.image}": base64.b64encode(doc.images[b.image]).decode("ascii")
                          for b in page.parsing_res_list if b.image and b.image in doc.images}
        out.append(LayoutParsingResult(prunedResult=prune(pages[i]),
                                       markdown=MarkdownData(text=str(text), images=images)))
    return out


def options_from(req: InferRequest) -> dict[str, Any]:
    """The official request's fields as docparse options (those docparse honours)."""
    if req.useLayoutDetection is False:
        raise RequestRejected("invalid_request", "useLayoutDetection=false is not supported: "
                              "docparse always detects the layout")
    c: dict[str, Any] = {}
    pairs = {"useChartRecognition": "chart_recognition", "layoutNms": "layout_nms",
             "repetitionPenalty": "repetition_penalty", "temperature": "temperature",
             "topP": "top_p", "minPixels": "min_pixels", "maxPixels": "max_pixels",
             "maxNewTokens": "max_completion_tokens", "mergeLayoutBlocks": "merge_layout_blocks"}
    for field, option in pairs.items():
        value = getattr(req, field)
        if value is not None:
            c[option] = value
    if req.useDocOrientationClassify is not None:
        c["orientation"] = "auto" if req.useDocOrientationClassify else "off"
    if isinstance(req.layoutThreshold, (int, float)):
        c["layout_threshold"] = float(req.layoutThreshold)
    ratio = req.layoutUnclipRatio
    if isinstance(ratio, (int, float)):
        c["layout_unclip_ratio"] = float(ratio)
    elif isinstance(ratio, tuple) and ratio[0] == ratio[1]:
        c["layout_unclip_ratio"] = float(ratio[0])
    if req.markdownIgnoreLabels is not None:
        c["markdown_ignore_labels"] = tuple(req.markdownIgnoreLabels)
    # Without restructurePages the official pages stand alone; with it, tables are merged and
    # titles re-levelled across pages as asked (docparse's paragraph joining goes with it).
    c["merge_tables"] = req.restructurePages and req.mergeTables
    c["relevel_titles"] = req.restructurePages and req.relevelTitles
    c["join_paragraphs"] = req.restructurePages
    return c


# ---------------------------------------------------------------------------- routes
@router.post("/layout-parsing", response_model=InferResponse, responses=_ERRORS,
             summary="Parse a document (official PaddleOCR-VL serving API)")
async def layout_parsing(body: InferRequest, request: Request,
                         owner: str = Depends(require_key)) -> InferResponse:
    svc: Service = service_of(request)
    log_id = body.logId or uuid.uuid4().hex
    request.state.log_id = log_id
    if is_url(body.file):
        data, name = await svc.reader.from_url(body.file)
    else:
        data, name = decode_base64(body.file, max_bytes=svc.settings.max_upload_bytes), "document"
    kind = sniff_type(data)
    if body.fileType == 0 and kind != "pdf":
        raise RequestRejected("invalid_input", "fileType is 0 (PDF) but the file is not a PDF")
    if body.fileType == 1 and kind == "pdf":
        raise RequestRejected("invalid_input", "fileType is 1 (image) but the file is a PDF")
    options = apply_options(svc.engine.options, options_from(body))
    doc = await svc.parse(data, name=name, options=options, started=request.state.started)
    results = await asyncio.to_thread(page_results, doc, with_images=body.returnMarkdownImages)
    return InferResponse(logId=log_id, result=InferResult(layoutParsingResults=results,
                                                           dataInfo=data_info(doc, kind)))


def _page_from(pruned: dict[str, Any], index: int, count: int) -> Page:
    """A docparse page from an official (or docparse) ``prunedResult``; unknown keys dropped."""
    known = set(Page.model_fields)
    raw = {k: v for k, v in pruned.items() if k in known}
    blocks = []
    for j, block in enumerate(raw.get("parsing_res_list") or []):
        if not isinstance(block, dict):
            raise RequestRejected("invalid_request", f"pages[{index}]: a block is not an object")
        b = dict(block)
        b.setdefault("block_id", j)
        b.setdefault("group_id", b["block_id"])
        b.setdefault("order", b.get("block_order") or j + 1)
        blocks.append(b)
    raw["parsing_res_list"] = blocks
    raw |= {"input_path": "", "page_index": index, "page_count": count}
    try:
        return Page.model_validate(raw)
    except ValueError as exc:
        msg = str(exc).splitlines()[0] if str(exc) else "invalid"
        raise RequestRejected("invalid_request", f"pages[{index}].prunedResult: {msg}") from exc


@router.post("/restructure-pages", response_model=RestructurePagesResponse, responses=_ERRORS,
             summary="Merge tables and re-level titles across already parsed pages (official)")
async def restructure_pages(body: RestructurePagesRequest, request: Request,
                            owner: str = Depends(require_key)) -> RestructurePagesResponse:
    from docparse.pipeline.document_build import restructure_document

    svc = service_of(request)
    log_id = body.logId or uuid.uuid4().hex
    request.state.log_id = log_id
    count = len(body.pages)
    if count > svc.settings.max_pages:
        raise RequestRejected("too_many_pages", f"{count} pages; at most {svc.settings.max_pages}")
    pages = tuple(_page_from(p.prunedResult, i, count) for i, p in enumerate(body.pages))
    doc = Document(input_path="", page_count=count, pages=pages)
    opts = apply_options(svc.engine.options, {"merge_tables": body.mergeTables,
                                              "relevel_titles": body.relevelTitles})
    doc = await asyncio.to_thread(restructure_document, doc, opts)
    images = [p.markdownImages or {} for p in body.pages]
    if not body.concatenatePages:
        results = page_results(doc, with_images=body.returnMarkdownImages, images_by_page=images)
    else:
        merged: dict[str, str] = {}
        for m in images:
            merged.update(m)
        text = doc.to_markdown(image_dir="imgs")
        data = doc.to_dict()
        pruned = prune({"width": max((p.width for p in doc.pages), default=0),
                        "height": sum(p.height for p in doc.pages),
                        "parsing_res_list": [b for p in data["pages"] for b in p["parsing_res_list"]],
                        "merged_tables": data["merged_tables"]})
        results = [LayoutParsingResult(prunedResult=pruned, markdown=MarkdownData(
            text=str(text), images=merged if body.returnMarkdownImages else None))]
    return RestructurePagesResponse(logId=log_id,
                                    result=RestructurePagesResult(layoutParsingResults=results))

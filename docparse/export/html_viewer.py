"""``html``: one self-contained page to check a parse by looking at it.

Each page is shown with its blocks drawn over it (coloured by label, numbered in reading
order) next to the rendered content; a box links to its content and back, failed, skipped and
merged blocks carry their reason and source, links between blocks (continued paragraphs,
cross-page tables) can be followed, and a checkbox hides page furniture.

Everything in a document is untrusted (the input, the recognition server's answers), so:

* every text is escaped and no document text is ever put into an attribute;
* table HTML goes through ``nh3`` (ammonia) with an allow-list of table tags, no attributes
  but ``colspan``/``rowspan`` and no URL schemes at all, so nothing can run or load;
* the page carries a strict Content-Security-Policy: nothing from the network, the one style
  and the one script allowed by their SHA-256 hashes, no forms, no ``<base>``;
* no attribute points to an http(s) URL: URLs in the document are shown as text.

Page pictures are embedded as ``data:`` URIs (one file, nothing beside it) up to
:data:`EMBED_MAX_PAGES` pages; bigger documents get them as JPEG files beside the HTML under
``imgs/<stem>/pages/``, so opening a 500-page viewer does not decode hundreds of megabytes of
base64 first. Either way every page's container, its ``<img loading=lazy>`` (with its size,
so the layout never jumps) and all text are in the page from the start. Positions are CSS
percentages of the page, so boxes follow the image at any window width.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
from collections.abc import Callable, Iterator
from typing import Literal

from docparse.assemble.refs import (
    first_link,
    merged_table_ref,
    parse_block_ref,
    parse_merged_table_ref,
    resolve_merged_table,
)
from docparse.document import Block, Document, Page
from docparse.export.layout_images import label_colour
from docparse.export.naming import stem_of
from docparse.formats import ExportFiles, ExportRequest, PageImages
from docparse.labels import IMAGE_LABELS, MARKDOWN_IGNORE_LABELS, is_formula

#: Up to this many pages the pictures are embedded; beyond it they are files beside the HTML.
EMBED_MAX_PAGES = 40

#: JPEG quality of page pictures: the text stays readable at a fraction of a PNG's size.
_JPEG_QUALITY = 80

ImageMode = Literal["auto", "embed", "beside"]

#: Labels the furniture toggle hides (what Markdown leaves out by default).
FURNITURE = frozenset(MARKDOWN_IGNORE_LABELS)

# Table HTML allow-list: structure and inline emphasis only; no links, no pictures, no style.
_TABLE_TAGS = {"table", "caption", "colgroup", "col", "thead", "tbody", "tfoot", "tr", "th",
               "td", "br", "b", "strong", "i", "em", "u", "sub", "sup", "p", "span", "div"}
_TABLE_ATTRS = {"td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan"},
                "col": {"span"}, "colgroup": {"span"}}


def sanitise_table(markup: str) -> str:
    """``markup`` reduced to inert table HTML (scripts, handlers, links and styles removed)."""
    import nh3

    return nh3.clean(markup, tags=_TABLE_TAGS, attributes=_TABLE_ATTRS, url_schemes=set(),
                     link_rel=None, strip_comments=True,
                     clean_content_tags={"script", "style"})


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"


class _Pictures:
    """Where the viewer's pictures go: inline ``data:`` URIs, or files under ``folder`` (named
    by position, never by a name from the document)."""

    def __init__(self, *, embed: bool, folder: str) -> None:
        self.embed = embed
        self.folder = folder
        self.files: dict[str, bytes] = {}
        self.crops = 0

    def crop_src(self, data: bytes) -> str:
        self.crops += 1
        return self.src(data, f"picture_{self.crops:04d}")

    def src(self, data: bytes, name: str) -> str:
        """The ``src`` of ``data`` (PNG or JPEG), stored as ``name`` plus its extension."""
        png = data.startswith(b"\x89PNG")
        if self.embed:
            mime = "image/png" if png else "image/jpeg"
            return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
        path = f"{self.folder}/{name}{'.png' if png else '.jpg'}"
        self.files[path] = data
        return path


def _compact(picture: bytes) -> bytes:
    """The smaller of the page picture as given and as JPEG: rendered text pages are often
    smaller as PNG, scans are always much smaller as JPEG."""
    from PIL import Image

    buf = io.BytesIO()
    Image.open(io.BytesIO(picture)).convert("RGB").save(buf, format="JPEG", quality=_JPEG_QUALITY)
    return min(picture, buf.getvalue(), key=len)


def page_name(page: Page) -> str:
    """``page 3`` (1-based, as the reader counts), ``image`` for a single picture."""
    return "image" if page.page_index is None else f"page {page.page_index + 1}"


class _Ids:
    """HTML ids of blocks (``b<page>-<index>`` box, ``c<page>-<index>`` content: positions in
    ``Document.pages`` and ``parsing_res_list``) and the resolution of ``Link.ref`` strings to
    them. Ids are built from positions, never from document text."""

    def __init__(self, doc: Document) -> None:
        self.pages = doc.pages
        self._by_block_id: dict[tuple[int, int], int] = {}
        self._pos_of_index: dict[int | None, int] = {}
        for p, page in enumerate(doc.pages):
            self._pos_of_index.setdefault(page.page_index, p)
            for i, b in enumerate(page.parsing_res_list):
                self._by_block_id.setdefault((p, b.block_id), i)
        self._table_page: dict[int, int] = {}
        for t in doc.merged_tables:
            for frag in t.fragments:
                pos = self.page_pos(frag.page_index)
                if pos is not None and (pos, frag.block_id) in self._by_block_id:
                    self._table_page.setdefault(t.id, pos)

    def page_pos(self, page_index: int | None) -> int | None:
        """Position in ``Document.pages`` of the page with ``page_index``."""
        return self._pos_of_index.get(page_index)

    def block(self, page_pos: int, block_id: int) -> tuple[str, str] | None:
        """(content id, human name) of a block, or None when there is no such block."""
        i = self._by_block_id.get((page_pos, block_id))
        if i is None:
            return None
        page = self.pages[page_pos]
        return f"c{page_pos}-{i}", f"{page_name(page)}, #{page.parsing_res_list[i].order + 1}"

    def resolve(self, ref: str) -> tuple[str, str] | None:
        """(id, human name) of what ``ref`` points to, or None."""
        block = parse_block_ref(ref)
        if block is not None:
            return self.block(*block)
        table = parse_merged_table_ref(ref)
        if table is not None and table in self._table_page:
            return f"mt{table}", f"merged table {table} ({page_name(self.pages[self._table_page[table]])})"
        return None


_LINK_TEXT = {
    "continues_on": "continues on",
    "continued_from": "continued from",
    "merged_table": "part of",
    "merged_into": "merged into",
}


def _block_content(doc: Document, block: Block, pictures: _Pictures, ids: _Ids,
                   shown_tables: set[int]) -> str:
    """The rendered content of one block (escaped text, sanitised table, picture, LaTeX)."""
    parts: list[str] = []
    label = block.block_label
    link = first_link(block, "merged_table")
    merged = resolve_merged_table(doc, link.ref) if link else None
    if merged is not None and merged.id not in shown_tables:
        # The whole merged table is shown once, at the first fragment that names it.
        shown_tables.add(merged.id)
        parts.append(f'<div class="table merged" id="mt{merged.id}">'
                     f'<div class="note">merged table {merged.id}, from '
                     f'{len(merged.fragments)} fragments</div>{sanitise_table(merged.html)}</div>')
        if block.block_content:
            parts.append('<details><summary>this fragment as recognised</summary>'
                         f'<div class="table">{sanitise_table(block.block_content)}</div></details>')
    elif block.image or label in IMAGE_LABELS:
        data = doc.images.get(block.image) if block.image else None
        if data:
            src = pictures.crop_src(data)
            parts.append(f'<img class="pic" alt="picture" src="{_esc(src)}">')
        elif block.image:
            parts.append(f'<div class="note">picture {_esc(block.image)} is not available '
                         f'(a document read back from JSON carries no pixels)</div>')
        if block.block_content:
            parts.append(f'<div class="text">{_esc(block.block_content)}</div>')
    elif label == "table" and block.block_content.lstrip().startswith("<"):
        parts.append(f'<div class="table">{sanitise_table(block.block_content)}</div>')
    elif is_formula(label) and block.block_content:
        parts.append(f'<pre class="tex"><code>{_esc(block.block_content)}</code></pre>')
    elif block.block_content:
        parts.append(f'<div class="text">{_esc(block.block_content)}</div>')
    elif block.status == "ok":
        parts.append('<div class="note">(empty)</div>')
    return "".join(parts)


def _block_item(doc: Document, p: int, i: int, block: Block, pictures: _Pictures, ids: _Ids,
                label_class: str, shown_tables: set[int]) -> str:
    classes = ["item", label_class, f"st-{block.status}"]
    if block.block_label in FURNITURE:
        classes.append("furn")
    if block.block_label in ("doc_title", "paragraph_title"):
        classes.append("title")
    head = (f'<a class="num" href="#b{p}-{i}">{block.order + 1}</a> '
            f'<span class="label">{_esc(block.block_label)}</span> '
            f'<span class="src">{_esc(block.source)}</span>')
    if block.status != "ok":
        head += f' <span class="status">{_esc(block.status)}</span>'
    body = []
    if block.error is not None:
        err = block.error
        # The client's messages usually name the endpoint already.
        where = f" ({_esc(err.endpoint)})" if err.endpoint and err.endpoint not in err.message else ""
        body.append(f'<div class="err"><b>{_esc(err.reason)}</b>: {_esc(err.message)}{where}</div>')
    before = set(shown_tables)
    body.append(_block_content(doc, block, pictures, ids, shown_tables))
    here = {merged_table_ref(t) for t in shown_tables - before}  # no link to itself
    links = []
    for link in block.links:
        if link.ref in here:
            continue
        target = ids.resolve(link.ref)
        what = _LINK_TEXT.get(link.kind, link.kind)
        if target is None:
            links.append(f'<li>{_esc(what)} {_esc(link.ref)} (not in this document)</li>')
        else:
            links.append(f'<li>{_esc(what)} <a class="ref" href="#{target[0]}">{_esc(target[1])}'
                         f' &rarr;</a></li>')
    if links:
        body.append(f'<ul class="links">{"".join(links)}</ul>')
    return (f'<li class="{" ".join(classes)}" id="c{p}-{i}"><div class="head">{head}</div>'
            f'{"".join(body)}</li>')


def _page(doc: Document, p: int, page: Page, picture: bytes, pictures: _Pictures, ids: _Ids,
          label_classes: dict[str, str], css: list[str], shown_tables: set[int]) -> str:
    w, h = max(1, page.width), max(1, page.height)
    number = page_name(page)
    src = pictures.src(picture, f"page_{p + 1:04d}")
    css.append(f"#s{p}{{aspect-ratio:{w}/{h}}}")
    boxes: list[str] = []
    items: list[str] = []
    order = sorted(range(len(page.parsing_res_list)),
                   key=lambda i: (page.parsing_res_list[i].order, page.parsing_res_list[i].block_id))
    rects = {i: _clamped(b.block_bbox, w, h) for i, b in enumerate(page.parsing_res_list)}
    # Smaller boxes above bigger ones, so a box inside another (a caption in a figure) stays
    # clickable.
    by_area = sorted(rects, key=lambda i: -(rects[i][2] - rects[i][0]) * (rects[i][3] - rects[i][1]))
    layer = {i: n + 1 for n, i in enumerate(by_area)}
    for i in order:
        b = page.parsing_res_list[i]
        x1, y1, x2, y2 = rects[i]
        css.append(f"#b{p}-{i}{{left:{100 * x1 / w:.3f}%;top:{100 * y1 / h:.3f}%;"
                   f"width:{100 * (x2 - x1) / w:.3f}%;height:{100 * (y2 - y1) / h:.3f}%;"
                   f"z-index:{layer[i]}}}")
        lc = label_classes[b.block_label]
        furn = " furn" if b.block_label in FURNITURE else ""
        mark = "" if b.status == "ok" else f" {_esc(b.status)}"
        boxes.append(f'<a class="box {lc} st-{b.status}{furn}" id="b{p}-{i}" href="#c{p}-{i}">'
                     f'<span class="tag">{b.order + 1} {_esc(b.block_label)}{mark}</span></a>')
        items.append(_block_item(doc, p, i, b, pictures, ids, lc, shown_tables))
    return (f'<section class="page" id="p{p}"><h2><a href="#p{p}">{_esc(number)}</a> '
            f'<span class="dim">{len(page.parsing_res_list)} blocks, {w}&times;{h}</span></h2>'
            f'<div class="cols"><div class="sheet" id="s{p}">'
            f'<img loading="lazy" decoding="async" alt="{_esc(number)}" width="{w}" height="{h}" '
            f'src="{_esc(src)}">{"".join(boxes)}</div>'
            f'<ol class="content">{"".join(items)}</ol></div></section>')


def _clamped(bbox: tuple[int, int, int, int], w: int, h: int) -> tuple[int, int, int, int]:
    """``bbox`` ordered and inside the page (a server may answer boxes that are neither)."""
    x1, x2 = sorted((min(max(bbox[0], 0), w), min(max(bbox[2], 0), w)))
    y1, y2 = sorted((min(max(bbox[1], 0), h), min(max(bbox[3], 0), h)))
    return x1, y1, x2, y2


_STYLE = """
:root{font:14px/1.45 system-ui,sans-serif;color:#222;background:#eee}
body{margin:0}
header{position:sticky;top:0;z-index:100000;background:#fff;border-bottom:1px solid #ccc;padding:6px 12px}
header h1{font-size:16px;margin:0 12px 0 0;display:inline}
header .nav{display:inline-block;margin-left:12px;max-width:100%;overflow-x:auto;white-space:nowrap;vertical-align:middle}
header .nav a{margin-right:6px}
.dim{color:#777;font-weight:normal;font-size:13px}
.errors{margin:4px 0 0;padding-left:20px;color:#a00}
main{padding:8px 12px}
.page{background:#fff;margin:0 0 16px;padding:8px 12px;border:1px solid #ccc;scroll-margin-top:60px;content-visibility:auto;contain-intrinsic-size:auto 900px}
.page h2{font-size:15px;margin:0 0 6px}
.cols{display:grid;grid-template-columns:minmax(0,55%) minmax(0,45%);gap:12px;align-items:start}
.sheet{position:relative;z-index:0;width:100%;border:1px solid #bbb;background:#fafafa}
.sheet img{position:absolute;inset:0;width:100%;height:100%}
.box{position:absolute;box-sizing:border-box;border:2px solid var(--c);background:color-mix(in srgb,var(--c) 10%,transparent);text-decoration:none;scroll-margin-top:80px}
.box:hover,.box.active{background:color-mix(in srgb,var(--c) 28%,transparent);outline:2px solid #000}
.box .tag{position:absolute;left:-2px;bottom:100%;background:var(--c);color:#fff;font-size:10px;line-height:1.2;padding:0 3px;white-space:nowrap}
.box.st-failed{border-style:dashed;border-color:#d00;background:repeating-linear-gradient(45deg,#d001 0 6px,#d003 6px 12px)}
.box.st-failed .tag{background:#d00}
.box.st-skipped{border-style:dotted;opacity:.7}
.box.st-merged{border-style:dotted}
.content{list-style:none;margin:0;padding:0}
.item{border-left:4px solid var(--c);padding:4px 8px;margin:0 0 6px;background:#fcfcfc;scroll-margin-top:80px}
.item.active{background:#fff7c2}
.item .head{font-size:12px;color:#555}
.item .num{font-weight:bold;color:#fff;background:var(--c);padding:0 5px;text-decoration:none;border-radius:3px}
.item .label{font-weight:600}
.item .status{color:#fff;background:#777;padding:0 4px;border-radius:3px}
.item.st-failed{background:#fff0f0}
.item.st-failed .status{background:#d00}
.item .err{color:#a00;margin:2px 0}
.text{white-space:pre-wrap;overflow-wrap:anywhere}
.item.title .text{font-weight:bold;font-size:15px}
.note{color:#777;font-style:italic}
.tex{background:#f4f4f4;padding:4px;margin:2px 0;overflow-x:auto;white-space:pre-wrap}
.table{overflow-x:auto}
.table table{border-collapse:collapse;font-size:12px}
.table td,.table th{border:1px solid #aaa;padding:2px 4px;vertical-align:top}
.pic{max-width:100%;border:1px solid #ccc}
.links{margin:2px 0;padding-left:18px;font-size:12px}
body:has(#furntoggle:checked) .furn{display:none}
"""

# Marks the box and the content of the block the address points at (the other half of a
# pair is found by swapping the id's first letter); plain #fragment links do the scrolling.
# With scripts on, in-page links set location.hash themselves: in an <iframe srcdoc> (the
# service's upload page) a "#id" href resolves against the parent page's address and would
# load that page into the frame.
_SCRIPT = """
(function(){var on=[];function mark(){on.forEach(function(e){e.classList.remove('active')});on=[];
var id=decodeURIComponent(location.hash.slice(1));if(!/^[bc]\\d+-\\d+$/.test(id))return;
['b','c'].forEach(function(k){var e=document.getElementById(k+id.slice(1));if(e){e.classList.add('active');on.push(e)}})}
document.addEventListener('click',function(ev){var a=ev.target.closest&&ev.target.closest('a[href^="#"]');
if(a){ev.preventDefault();location.hash=a.getAttribute('href')}});
window.addEventListener('hashchange',mark);mark()})();
"""


def render_viewer(document: Document, *, pages: PageImages | None = None,
                  images: ImageMode = "auto", stem: str | None = None,
                  folder: str | None = None) -> ExportFiles:
    """The viewer of ``document``: ``<stem>.html`` and, when the pictures are not embedded,
    the JPEG files it references under ``folder`` (default ``imgs/<stem>/pages``, relative to
    the HTML).

    ``pages`` gives each page's picture (default: rendered again from the document's origin;
    an :class:`~docparse.errors.OutputError` when that is gone). ``images``: ``embed`` puts
    every picture into the HTML, ``beside`` writes them as files, ``auto`` embeds up to
    :data:`EMBED_MAX_PAGES` pages."""
    from docparse.export.pages import origin_pages

    name = stem_of(document, stem)
    embed = images == "embed" or (images == "auto" and len(document.pages) <= EMBED_MAX_PAGES)
    folder = folder or f"imgs/{name}/pages"
    pictures = _Pictures(embed=embed, folder=folder)
    page_picture = pages or origin_pages(document)
    ids = _Ids(document)
    labels = sorted({b.block_label for b in document.blocks})
    label_classes = {lab: f"L{n}" for n, lab in enumerate(labels)}
    css: list[str] = []
    for lab, cls in label_classes.items():
        r, g, b = label_colour(lab)
        css.append(f".{cls}{{--c:rgb({r},{g},{b})}}")
    shown_tables: set[int] = set()
    sections = [
        _page(document, p, page, _compact(page_picture(page)), pictures, ids, label_classes, css,
              shown_tables)
        for p, page in enumerate(document.pages)
    ]
    style = _STYLE + "\n".join(css)
    script = _SCRIPT
    img_src = "data:" if embed else "'self' data:"
    csp = (f"default-src 'none'; img-src {img_src}; style-src {_sha256(style)}; "
           f"script-src {_sha256(script)}; base-uri 'none'; form-action 'none'")
    title = f"{document.input_path} — docparse"
    out = "".join(_document_html(document, title, csp, style, script, ids, sections))
    files = {f"{name}.html": out.encode("utf-8")}
    files.update(pictures.files)
    return ExportFiles(files, owned_dirs=() if embed else (folder,))


def _document_html(doc: Document, title: str, csp: str, style: str, script: str, ids: _Ids,
                   sections: list[str]) -> Iterator[str]:
    yield ('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
           f'<meta http-equiv="Content-Security-Policy" content="{csp}">'
           '<meta name="referrer" content="no-referrer">'
           '<meta name="viewport" content="width=device-width,initial-scale=1">'
           f'<title>{_esc(title)}</title><style>{style}</style></head><body>')
    failed = sum(1 for b in doc.blocks if b.status == "failed")
    yield (f'<header><h1>{_esc(doc.input_path)}</h1>'
           f'<span class="dim">{len(doc.pages)} of {doc.page_count} pages &middot; '
           f'{len(doc.blocks)} blocks &middot; status {_esc(doc.status)}'
           f'{f" &middot; {failed} failed" if failed else ""}</span> '
           '<label><input type="checkbox" id="furntoggle"> hide furniture</label>'
           '<div class="nav">'
           + "".join(f'<a href="#p{p}">{_esc(page_name(page).removeprefix("page "))}</a>'
                     for p, page in enumerate(doc.pages))
           + "</div>")
    if doc.errors:
        yield '<ul class="errors">'
        for e in doc.errors:
            page_pos = ids.page_pos(e.page_index)
            where, target = "document", None
            if page_pos is not None:
                where, target = page_name(doc.pages[page_pos]), f"p{page_pos}"
                found = ids.block(page_pos, e.block_id) if e.block_id is not None else None
                if found is not None:
                    target, where = found
            label = f'<a href="#{target}">{_esc(where)}</a>' if target else _esc(where)
            yield f'<li>{label}: <b>{_esc(e.reason)}</b> {_esc(e.message)}</li>'
        yield "</ul>"
    yield "</header><main>"
    yield from sections
    yield f"</main><script>{script}</script></body></html>\n"


class HtmlExporter:
    """``<stem>.html``: the viewer (see the module docstring)."""

    name = "html"
    subdir = ""

    def __init__(self, images: ImageMode = "auto") -> None:
        self.images: ImageMode = images

    def render(self, document: Document, request: ExportRequest) -> ExportFiles:
        return render_viewer(document, pages=request.pages, images=self.images,
                             stem=request.stem)


def script_csp_source() -> str:
    """The CSP source allowing the viewer's script. A page showing the viewer in a ``srcdoc``
    or ``blob:`` frame must allow it too: such a frame inherits its parent's policy."""
    return _sha256(_SCRIPT)


def viewer_html(document: Document, pages: Callable[[Page], bytes] | None = None) -> bytes:
    """The viewer as one self-contained HTML document (pictures embedded), for serving."""
    out = render_viewer(document, pages=pages, images="embed")
    return next(data for path, data in out.files.items() if path.endswith(".html"))

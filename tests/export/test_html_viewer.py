"""The HTML viewer: escaping, sanitising and the CSP on the generated file, then the viewer in a
real headless Chromium (Debian's, driven through its chromedriver; nothing is downloaded)."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from docparse import formats
from docparse.document import (
    Block,
    BlockError,
    Document,
    ErrorItem,
    FragmentRef,
    Link,
    MergedTable,
    Origin,
    Page,
    load,
)
from docparse.export import html_viewer
from docparse.export.html_viewer import HtmlExporter, render_viewer, sanitise_table, viewer_html
from docparse.formats import ExportRequest
from docparse.options import resolve_output_options

ROOT = Path(__file__).resolve().parents[2]

EVIL_TABLE = (
    '<table><tr><td onclick="alert(1)">a<script>alert("x")</script></td>'
    '<td><img src=x onerror="alert(2)"><a href="javascript:alert(3)">js</a>'
    '<a href="https://evil.example/t">ext</a><iframe src="https://evil.example/f"></iframe>'
    '<style>body{background:url(https://evil.example/s)}</style></td></tr>'
    '<tr><td colspan="2" style="background:url(https://evil.example/bg)">wide</td></tr></table>'
)


def _block(label: str, bid: int, order: int, bbox: tuple[int, int, int, int], content: str = "",
           **kw: Any) -> Block:
    return Block(block_label=label, block_content=content, block_bbox=bbox, block_id=bid,
                 group_id=bid, order=order, source=kw.pop("source", "vlm"), **kw)


def _page(pos: int, blocks: tuple[Block, ...]) -> Page:
    return Page(input_path="evil.pdf", page_index=pos, page_count=2, width=600, height=800,
                parsing_res_list=blocks)


def _doc() -> Document:
    """Two pages with every kind of block the viewer renders, hostile content included."""
    p0 = (
        _block("header", 0, 0, (40, 20, 300, 40), "Running head", source="text-layer"),
        _block("doc_title", 1, 1, (60, 60, 540, 100), "Title <b>&\"' https://evil.example/t",
               source="text-layer"),
        _block("text", 2, 2, (60, 120, 540, 200),
               "Visit https://evil.example/p and <script>alert(9)</script>",
               links=(Link(kind="continues_on", ref="pages/1/blocks/0"),)),
        _block("table", 3, 3, (60, 220, 540, 400), EVIL_TABLE,
               links=(Link(kind="merged_table", ref="merged_tables/0"),)),
        _block("display_formula", 4, 4, (100, 420, 500, 470), r"E = m c^2 </code><script>"),
        _block("image", 5, 5, (100, 480, 300, 640), "", image="p0_img.jpg", source="image"),
        _block("text", 6, 6, (60, 660, 540, 720), "",
               status="failed", source="none",
               error=BlockError(reason="http_500", message="server said <no>",
                                endpoint="http://127.0.0.1:9/v1")),
        _block("footer", 7, 7, (260, 760, 340, 780), "Page 1", source="text-layer"),
    )
    p1 = (
        _block("text", 0, 0, (60, 40, 540, 120), "continued text",
               links=(Link(kind="continued_from", ref="pages/0/blocks/2"),)),
        _block("table", 1, 1, (60, 140, 540, 300), "<table><tr><td>b</td></tr></table>",
               links=(Link(kind="merged_table", ref="merged_tables/0"),)),
        _block("text", 2, 2, (60, 320, 540, 360), "", status="skipped", source="none"),
        _block("number", 3, 3, (280, 760, 320, 780), "2", source="text-layer"),
    )
    merged = MergedTable(id=0, html=EVIL_TABLE.replace("wide", "merged wide"),
                         fragments=(FragmentRef(page_index=0, block_id=3),
                                    FragmentRef(page_index=1, block_id=1)))
    doc = Document(input_path="evil.pdf", page_count=2, status="partial",
                   errors=(ErrorItem(page_index=0, block_id=6, reason="http_500",
                                     message="server said <no>"),),
                   merged_tables=(merged,), pages=(_page(0, p0), _page(1, p1)))
    return doc.with_images({"p0_img.jpg": _picture(200, 160, "blue", "JPEG")})


def _picture(w: int, h: int, colour: str, fmt: str = "PNG") -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (w, h), colour).save(buf, format=fmt)
    return buf.getvalue()


def _pages(page: Page) -> bytes:
    """A page picture with a grey rectangle where each block is (so screenshots make sense)."""
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (page.width, page.height), "white")
    draw = ImageDraw.Draw(img)
    for b in page.parsing_res_list:
        draw.rectangle(b.block_bbox, fill=(225, 225, 225))
    buf = io.BytesIO()
    img.save(buf, format="PNG")
    return buf.getvalue()


def _html(doc: Document, **kw: Any) -> str:
    out = render_viewer(doc, pages=_pages, **kw)
    return out.files[next(p for p in out.files if p.endswith(".html"))].decode("utf-8")


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []
        self.raw: dict[str, list[str]] = {"script": [], "style": []}
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))
        if tag in self.raw:
            self._in = tag

    def handle_endtag(self, tag: str) -> None:
        self._in = None

    def handle_data(self, data: str) -> None:
        if self._in:
            self.raw[self._in].append(data)
        else:
            self.text.append(data)


def _parsed(text: str) -> _Collect:
    c = _Collect()
    c.feed(text)
    return c


# ---------------------------------------------------------------------------- the file


def test_sanitise_table_neutralises_scripts_handlers_and_links() -> None:
    clean = sanitise_table(EVIL_TABLE)
    low = clean.lower()
    for bad in ("<script", "alert(\"x\")", "onerror", "onclick", "javascript:", "<a ", "<img",
                "<iframe", "<style", "style=", "https:"):
        assert bad not in low, bad
    assert 'colspan="2"' in clean and "wide" in clean and "jsext" in clean


def test_text_is_escaped_and_only_the_viewers_script_runs() -> None:
    text = _html(_doc())
    parsed = _parsed(text)
    assert [t for t, _ in parsed.tags].count("script") == 1
    assert sum(1 for t, _ in parsed.tags if t == "img") == 2 + 1  # two pages, one picture
    body = "".join(parsed.text)
    assert "Title <b>&\"' https://evil.example/t" in body
    assert "<script>alert(9)</script>" in body  # shown as text...
    assert "alert(9)" not in "".join(parsed.raw["script"])  # ...never run
    assert r"E = m c^2 </code><script>" in body
    for _, attrs in parsed.tags:
        assert not any(k.startswith("on") for k in attrs), attrs
        assert "style" not in attrs


def test_no_attribute_points_to_the_web() -> None:
    text = _html(_doc())
    parsed = _parsed(text)
    for tag, attrs in parsed.tags:
        for key, value in attrs.items():
            assert not re.search(r"(https?|javascript|ftp)\s*:", value, re.I), (tag, key, value)
            if key in ("href", "src", "action", "formaction", "srcset", "poster"):
                assert value.startswith(("#", "data:image/", "imgs/")), (tag, key, value)
    # The URLs are still there, as text.
    assert "https://evil.example/p" in "".join(parsed.text)
    assert "http://127.0.0.1:9/v1" in "".join(parsed.text)


def test_csp_allows_only_its_own_style_and_script_by_hash() -> None:
    text = _html(_doc())
    parsed = _parsed(text)
    head = [t for t in parsed.tags if t[0] == "meta"]
    assert head[1][1]["http-equiv"] == "Content-Security-Policy"  # right after the charset
    csp = dict(part.strip().split(" ", 1) for part in head[1][1]["content"].split(";"))
    assert csp["default-src"] == "'none'" and csp["img-src"] == "data:"
    assert csp["base-uri"] == "'none'" and csp["form-action"] == "'none'"

    def digest(s: str) -> str:
        return "'sha256-" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode() + "'"

    assert csp["style-src"] == digest("".join(parsed.raw["style"]))
    assert csp["script-src"] == digest("".join(parsed.raw["script"]))


def test_blocks_links_and_failures_are_in_the_page() -> None:
    doc = _doc()
    text = _html(doc)
    ids = set(re.findall(r'id="([^"]+)"', text))
    for target in re.findall(r'href="#([^"]+)"', text):
        assert target in ids, target
    assert sum(len(p.parsing_res_list) for p in doc.pages) == len(re.findall(r'class="box ', text))
    # The continued paragraph and the merged table link across pages.
    assert 'continues on <a class="ref" href="#c1-0">' in text
    assert 'continued from <a class="ref" href="#c0-2">' in text
    assert text.count('id="mt0"') == 1 and 'href="#mt0"' in text
    # Failure: reason, message (escaped), endpoint as text; source and status on skipped ones.
    assert "<b>http_500</b>: server said &lt;no&gt; (http://127.0.0.1:9/v1)" in text
    assert 'class="box L' in text and "st-failed" in text and "st-skipped" in text
    # Furniture is marked for the toggle, content is not.
    assert re.search(r'class="box L\d+ st-ok furn" id="b0-0"', text)
    assert re.search(r'class="box L\d+ st-ok" id="b0-1"', text)


def test_beside_pictures_are_files_named_by_position(tmp_path: Path) -> None:
    doc = _doc()
    out = render_viewer(doc, pages=_pages, images="beside", stem="x")
    names = sorted(out.files)
    assert names[-1] == "x.html" and len(names) == 4
    assert [re.sub(r"\.(png|jpg)$", "", n) for n in names[:-1]] == [
        "imgs/x/pages/page_0001", "imgs/x/pages/page_0002", "imgs/x/pages/picture_0001"]
    assert out.owned_dirs == ("imgs/x/pages",)
    for name in names[:-1]:  # each picture is what its name says
        assert out.files[name][:4] == (b"\x89PNG" if name.endswith(".png") else b"\xff\xd8\xff\xe0")
    text = out.files["x.html"].decode()
    assert f'src="{names[1]}"' in text and "data:image" not in text
    assert "img-src 'self' data:" in text
    # The page pictures are the smaller encoding: a flat synthetic page stays PNG.
    assert names[0].endswith(".png") and names[2].endswith(".jpg")


def test_auto_embeds_small_documents_only(monkeypatch: pytest.MonkeyPatch) -> None:
    doc = _doc()
    assert len(render_viewer(doc, pages=_pages).files) == 1
    monkeypatch.setattr(html_viewer, "EMBED_MAX_PAGES", 1)
    assert len(render_viewer(doc, pages=_pages).files) == 4
    assert viewer_html(doc, pages=_pages).startswith(b"<!DOCTYPE html>")


def test_save_to_html_and_the_format_option(tmp_path: Path, samples_dir: Path) -> None:
    assert "html" in formats.names()
    assert resolve_output_options({"format": "json,html"}, environ={}).format == ("json", "html")
    doc = load(ROOT / "tests/golden/expected/vlm/samples-report.json")
    doc = doc.with_origin(Origin(path=str(samples_dir / "report.pdf")))
    path = doc.save_to_html(tmp_path / "out" / "view.html")
    assert path == tmp_path / "out" / "view.html"
    assert doc.save_to_html(tmp_path) == tmp_path / "report.html"
    text = path.read_text()
    assert text.count('<section class="page"') == 2
    assert "Quarterly Water Quality Report" in text
    # Through the registry like every format, with an injected page source.
    out = formats.get("html").render(doc, ExportRequest(stem="s", pages=_pages))
    assert list(out.files) == ["s.html"]
    assert isinstance(formats.get("html"), HtmlExporter)


# ---------------------------------------------------------------------------- the browser

# The `browser` fixture (headless Chromium from Debian's packages) is in tests/conftest.py.


def _open(browser: Any, path: Path) -> None:
    browser.get(path.as_uri())
    browser.get_log("browser")  # start each page with an empty console


def _until(browser: Any, condition: Callable[[], Any]) -> None:
    """Wait for what the page's script does on an event (the event is queued after a click)."""
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(browser, 10).until(lambda _: condition())


def _in_view(browser: Any, element: Any) -> bool:
    return bool(browser.execute_script(
        "var r=arguments[0].getBoundingClientRect();"
        "return r.bottom>0 && r.top<window.innerHeight && r.height>0;", element))


def _box_geometry(browser: Any) -> list[dict[str, Any]]:
    """Every box relative to its page picture, as fractions of the picture's displayed size."""
    return list(browser.execute_script("""
        return Array.from(document.querySelectorAll('.box')).map(function(b){
          var img=b.parentElement.querySelector('img').getBoundingClientRect();
          var r=b.getBoundingClientRect();
          return {id:b.id, x:(r.left-img.left)/img.width, y:(r.top-img.top)/img.height,
                  w:r.width/img.width, h:r.height/img.height};
        });"""))


def test_browser_boxes_match_the_json(browser: Any, tmp_path: Path, samples_dir: Path) -> None:
    """The real sample: as many pages and boxes as the JSON, each where the JSON puts it."""
    json_path = ROOT / "tests/golden/expected/vlm/samples-report.json"
    data = json.loads(json_path.read_text())
    doc = load(json_path).with_origin(Origin(path=str(samples_dir / "report.pdf")))
    path = doc.save_to_html(tmp_path / "report.html")
    _open(browser, path)
    pages = browser.find_elements("css selector", "section.page")
    assert len(pages) == len(data["pages"]) == 2
    geometry = {g["id"]: g for g in _box_geometry(browser)}
    expected = [(p, i, page, b) for p, page in enumerate(data["pages"])
                for i, b in enumerate(page["parsing_res_list"])]
    assert len(geometry) == len(expected) == 18
    for p, i, page, b in expected:
        g = geometry[f"b{p}-{i}"]
        x1, y1, x2, y2 = b["block_bbox"]
        w, h = page["width"], page["height"]
        assert g["x"] == pytest.approx(x1 / w, abs=0.004)
        assert g["y"] == pytest.approx(y1 / h, abs=0.004)
        assert g["w"] == pytest.approx((x2 - x1) / w, abs=0.004)
        assert g["h"] == pytest.approx((y2 - y1) / h, abs=0.004)
        tag = browser.find_element("id", f"b{p}-{i}").text
        assert tag.startswith(f"{b['order'] + 1} {b['block_label']}")
    # The first page's picture is decoded (data: allowed by the CSP); no CSP complaints.
    _until(browser, lambda: browser.execute_script("return document.images[0].naturalWidth"))
    # Self-contained: opening it fetched nothing at all.
    assert browser.execute_script("return performance.getEntriesByType('resource').length") == 0
    assert not [e for e in browser.get_log("browser") if "Content Security Policy" in e["message"]]


def test_browser_click_failure_links_and_furniture(browser: Any, tmp_path: Path) -> None:
    out = render_viewer(_doc(), pages=_pages, stem="evil")
    path = tmp_path / "evil.html"
    path.write_bytes(out.files["evil.html"])
    _open(browser, path)
    assert len(browser.find_elements("css selector", "section.page")) == 2
    assert len(browser.find_elements("css selector", ".box")) == 12

    # Clicking the box of the last block of page 2 brings its content into view, marked.
    browser.execute_script("window.scrollTo(0, 0)")
    content = browser.find_element("id", "c1-2")
    browser.find_element("id", "b1-2").click()
    assert _in_view(browser, content)
    _until(browser, lambda: "active" in content.get_attribute("class"))  # on hashchange
    assert "skipped" in content.text
    # ... and its number leads back to the box.
    browser.execute_script("window.scrollTo(0, 0)")
    content.find_element("css selector", "a.num").click()
    box = browser.find_element("id", "b1-2")
    assert _in_view(browser, box)
    _until(browser, lambda: "active" in box.get_attribute("class"))

    # The failed block says why, where it came from and which server answered.
    failed = browser.find_element("id", "c0-6")
    assert failed.is_displayed()
    assert "http_500: server said <no> (http://127.0.0.1:9/v1)" in failed.text
    assert "failed" in failed.find_element("css selector", ".status").text
    assert "failed" in browser.find_element("id", "b0-6").text

    # The continued paragraph is followable across the page break.
    browser.execute_script("window.scrollTo(0, 0)")
    browser.find_element("css selector", "#c0-2 a.ref").click()
    assert _in_view(browser, browser.find_element("id", "c1-0"))

    # Hostile table content is inert: only the viewer's script, no handlers, nothing ran.
    assert browser.execute_script(
        "return document.scripts.length===1 && !document.querySelector('[onclick],[onerror]')"
        " && !document.querySelector('.table a, .table img, .table iframe')")
    assert "merged wide" in browser.find_element("id", "mt0").text

    # The furniture toggle hides headers, footers and page numbers, boxes and contents alike.
    furniture = ["b0-0", "c0-0", "b0-7", "c0-7", "b1-3", "c1-3"]
    assert all(browser.find_element("id", i).is_displayed() for i in furniture)
    browser.execute_script("window.scrollTo(0, 0)")
    browser.find_element("id", "furntoggle").click()
    assert not any(browser.find_element("id", i).is_displayed() for i in furniture)
    assert browser.find_element("id", "c0-1").is_displayed()
    assert browser.find_element("id", "b0-2").is_displayed()
    assert not [e for e in browser.get_log("browser") if "Content Security Policy" in e["message"]]


def test_browser_beside_pictures_load_from_files(browser: Any, tmp_path: Path) -> None:
    """Pictures beside the HTML load from ``file:`` under the CSP ``img-src 'self'``, lazily."""
    doc = _doc()
    out = render_viewer(doc, pages=_pages, images="beside", stem="big")
    for rel, data in out.files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(data)
    _open(browser, tmp_path / "big.html")
    browser.execute_script("window.scrollTo(0, document.body.scrollHeight)")

    def widths() -> list[int]:
        return list(browser.execute_script(
            "return Array.from(document.images).map(function(i){return i.naturalWidth})"))

    _until(browser, lambda: 0 not in widths())  # lazy: they load when near the viewport
    assert widths() == [600, 200, 600]
    assert not [e for e in browser.get_log("browser") if "Content Security Policy" in e["message"]]


def test_browser_parse_with_a_failing_server(browser: Any, tmp_path: Path,
                                             samples_dir: Path) -> None:
    """End to end: the sample parsed against the fake vLLM refusing tables; the viewer of the
    result shows the table's box as failed with the server's reason, and the picture."""
    import docparse
    from docparse.testing import FakeVLLMConfig, start_fake_vllm
    from docparse.testing.fake_vllm_config import AnswerRule

    config = FakeVLLMConfig(rules=(AnswerRule(prompt="Table Recognition:", fault="error",
                                              status=500),))
    with start_fake_vllm(config) as server, docparse.Parser(
            layout="builtin", server_url=[server.url], retries=0) as parser:
        doc = parser.parse(samples_dir / "report.pdf")
    failed = [(p, i, b) for p, page in enumerate(doc.pages)
              for i, b in enumerate(page.parsing_res_list) if b.status == "failed"]
    assert doc.status == "partial" and [b.block_label for _, _, b in failed] == ["table"]
    p, i, block = failed[0]
    assert block.error is not None

    _open(browser, doc.save_to_html(tmp_path))
    assert len(browser.find_elements("css selector", ".box")) == len(doc.blocks)
    box = browser.find_element("id", f"b{p}-{i}")
    assert "table failed" in box.text
    box.click()
    item = browser.find_element("id", f"c{p}-{i}")
    assert _in_view(browser, item)
    assert f"{block.error.reason}: {block.error.message}" in item.text
    assert "http_500" in browser.find_element("css selector", "header .errors").text
    picture = browser.find_element("css selector", "img.pic")
    browser.execute_script("arguments[0].scrollIntoView()", picture)
    _until(browser, lambda: browser.execute_script("return arguments[0].naturalWidth", picture))


def test_big_documents_write_their_pictures_beside(tmp_path: Path, samples_dir: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(html_viewer, "EMBED_MAX_PAGES", 1)
    doc = load(ROOT / "tests/golden/expected/vlm/samples-report.json")
    doc = doc.with_origin(Origin(path=str(samples_dir / "report.pdf")))
    assert doc.save(tmp_path, ("html",)) == [tmp_path / "report.html"]
    pictures = sorted(p.name for p in (tmp_path / "imgs/report/pages").glob("page_*"))
    assert [re.sub(r"\.(png|jpg)$", "", n) for n in pictures] == ["page_0001", "page_0002"]
    text = (tmp_path / "report.html").read_text()
    assert all(f'src="imgs/report/pages/{n}"' in text for n in pictures)

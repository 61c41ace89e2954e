"""Output formats: each implements :class:`docparse.formats.Exporter` and is registered here.

``json`` (the versioned document), ``md`` (Markdown + pictures), ``img`` (layout pictures of the
pages), ``summary`` (the listing ``Document.print()`` shows), ``html`` (the viewer: pages with their
boxes beside the content). A new format is one module with an
exporter class and one ``register`` line below; ``Document.save_to_*``, ``--format`` and the
service pick it up from the registry.
"""

from docparse import formats
from docparse.export.html_viewer import HtmlExporter
from docparse.export.json_format import JsonExporter
from docparse.export.layout_images import LayoutImagesExporter
from docparse.export.markdown_files import MarkdownExporter
from docparse.export.summary import SummaryExporter
from docparse.export.writer import WritePlan, commit, plan_document, write, write_document

formats.register(JsonExporter())
formats.register(MarkdownExporter())
formats.register(LayoutImagesExporter())
formats.register(SummaryExporter())
formats.register(HtmlExporter())
formats.register_writer(write)

__all__ = ["WritePlan", "commit", "plan_document", "write_document"]

"""docparse: documents (PDFs, scans, photos) to structured JSON and Markdown.

>>> import docparse
>>> doc = docparse.parse("invoice.pdf")
>>> doc.save_to_json("out/"); doc.save_to_markdown("out/"); doc.print()
"""

import docparse.export  # noqa: F401  (fills the output-format registry, docparse.formats)
from docparse._version import __version__
from docparse.api import Parser, aparse, parse
from docparse.document import Block, Document, Page, load
from docparse.errors import (
    ConfigurationError,
    DocParseError,
    InputError,
    ModelError,
    RecognitionError,
    ServerUnavailableError,
)
from docparse.events import Event
from docparse.options import ParseOptions
from docparse.pipeline import AsyncParser, ParseResult

__all__ = [
    "AsyncParser",
    "Block",
    "ConfigurationError",
    "DocParseError",
    "Document",
    "Event",
    "InputError",
    "ModelError",
    "Page",
    "ParseOptions",
    "ParseResult",
    "Parser",
    "RecognitionError",
    "ServerUnavailableError",
    "__version__",
    "aparse",
    "load",
    "parse",
]

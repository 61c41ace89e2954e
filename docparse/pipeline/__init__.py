"""Orchestration: the only package that knows the order of the stages."""

from docparse.pipeline.parser import AsyncParser, ParseResult, SourceTypes
from docparse.pipeline.store import PageStore

__all__ = ["AsyncParser", "PageStore", "ParseResult", "SourceTypes"]

"""The JSON Schema of the document model (``python -m docparse.schema > docs/document.schema.json``)."""

from __future__ import annotations

import json
from typing import Any

from docparse.document import SCHEMA_VERSION, Document


def document_schema() -> dict[str, Any]:
    schema = Document.model_json_schema(by_alias=True, mode="serialization")
    schema["$id"] = f"https://docparse.invalid/schema/document-{SCHEMA_VERSION}.json"
    schema["title"] = "docparse.document"
    return schema


if __name__ == "__main__":  # pragma: no cover
    print(json.dumps(document_schema(), indent=2, ensure_ascii=False))

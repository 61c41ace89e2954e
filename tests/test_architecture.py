"""The orchestrator stays a list of steps: no function in docparse/pipeline grows past 80 lines
(the layering itself is checked by import-linter, `lint-imports`, in the test command)."""

from __future__ import annotations

import ast
from pathlib import Path

PIPELINE = Path(__file__).resolve().parents[1] / "docparse" / "pipeline"
MAX_LINES = 80


def test_pipeline_functions_are_short() -> None:
    long = []
    for path in sorted(PIPELINE.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > MAX_LINES:
                    long.append(f"{path.name}:{node.name} ({lines} lines)")
    assert not long, long


def test_result_model_imports_no_output_code() -> None:
    source = (PIPELINE.parent / "document.py").read_text(encoding="utf-8")
    imported = {
        (n.module or "") if isinstance(n, ast.ImportFrom) else a.name
        for n in ast.walk(ast.parse(source)) if isinstance(n, (ast.Import, ast.ImportFrom))
        for a in n.names
    }
    assert not any(m.startswith(("docparse.export", "docparse.assemble")) for m in imported)

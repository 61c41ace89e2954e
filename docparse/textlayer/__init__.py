"""The PDF's own text layer: extraction (pymupdf) and the quality gate deciding when to trust it."""

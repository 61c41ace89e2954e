"""Writing results to disk: atomic files, Markdown with its pictures, layout visualisations."""

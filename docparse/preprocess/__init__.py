"""Page pre-processing before layout: orientation of scans and photos."""

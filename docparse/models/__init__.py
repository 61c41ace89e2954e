"""The offline model cache: manifest, verification, and (in ``fetch``) the only downloads.

Parsing only ever calls :func:`resolve_model` / :func:`is_installed`, which never touch the
network; ``docparse fetch-models`` installs what they look for.
"""

from __future__ import annotations

from docparse.models.cache import default_cache_dir, is_installed, resolve_model
from docparse.models.manifest import Manifest, ManifestFile, ModelEntry, load_manifest

__all__ = [
    "Manifest",
    "ManifestFile",
    "ModelEntry",
    "default_cache_dir",
    "is_installed",
    "load_manifest",
    "resolve_model",
]

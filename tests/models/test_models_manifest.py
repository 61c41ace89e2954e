from __future__ import annotations

import json
from pathlib import Path

import pytest

from docparse.errors import ConfigurationError
from docparse.models.manifest import load_manifest, parse_manifest


def test_shipped_manifest_pins_the_known_pp_doclayoutv2_files() -> None:
    m = load_manifest()
    assert m.path is None and m.default_names == ("PP-DocLayoutV2",)
    files = {f.path: f for f in m.get("PP-DocLayoutV2").files}
    assert files["inference.pdiparams"].size == 212170944
    assert files["inference.pdiparams"].sha256 == (
        "45404a84c9fdf91d7bbc94bd47ac4c03649bda84167de04c62bff4726657869a"
    )
    assert files["config.json"].size == 4535
    assert files["config.json"].sha256 == (
        "e1a25a0cbdc59c3668bc96467ecca6b9747eca29ff26d90282f452adc89df21f"
    )
    assert not files["inference.json"].pinned and not files["inference.yml"].pinned
    hf = m.get("PP-DocLayoutV2").source("huggingface")
    assert hf is not None and hf.repo == "PaddlePaddle/PP-DocLayoutV2" and not hf.verified


def test_round_trip_through_to_dict() -> None:
    m = load_manifest()
    again = parse_manifest(json.loads(json.dumps(m.to_dict())))
    assert again.models == m.models


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        ("../x", "unsafe file path"),
        ("/etc/passwd", "unsafe file path"),
        ("a/../b", "unsafe"),
        ("C:/x", "unsafe"),
    ],
)
def test_unsafe_file_paths_are_refused(tmp_path: Path, path: str, problem: str) -> None:
    data = {"format": 1, "models": [{"name": "M", "files": [{"path": path}]}]}
    f = tmp_path / "m.json"
    f.write_text(json.dumps(data))
    with pytest.raises(ConfigurationError, match=problem) as ei:
        load_manifest(f)
    assert str(f) in str(ei.value)


def test_bad_hash_and_unknown_model_name_errors(tmp_path: Path) -> None:
    data = {"format": 1, "models": [{"name": "M", "files": [{"path": "a", "sha256": "xyz"}]}]}
    with pytest.raises(ConfigurationError, match="sha256 must be 64 hex"):
        parse_manifest(data)
    with pytest.raises(ConfigurationError, match=r"no model named 'Nope' .*PP-DocLayoutV2"):
        load_manifest().get("Nope")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ConfigurationError, match="invalid JSON"):
        load_manifest(bad)
    with pytest.raises(ConfigurationError, match="cannot read manifest"):
        load_manifest(tmp_path / "missing.json")

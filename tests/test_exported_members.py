import docparse


def test_all_is_sorted_and_complete() -> None:
    import types

    public = sorted(
        (
            name
            for name, value in vars(docparse).items()
            if (not name.startswith("_") or name == "__version__")
            and not isinstance(value, types.ModuleType)  # subpackages imported by tests
        ),
        key=str.casefold,
    )
    assert public == sorted(docparse.__all__, key=str.casefold)


def test_import_stays_light() -> None:
    import subprocess
    import sys

    code = ("import sys, docparse; heavy = [m for m in ('paddle', 'paddlex', 'onnxruntime', 'cv2',"
            " 'openai', 'rapidocr', 'rapid_layout', 'pymupdf', 'fitz') if m in sys.modules];"
            " print(','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""

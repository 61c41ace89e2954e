import docparse


def test_all_is_sorted_and_complete() -> None:
    public = sorted(
        (m for m in vars(docparse) if not m.startswith("_") or m == "__version__"),
        key=str.casefold,
    )
    modules = {"api", "document", "errors", "events", "options", "pipeline", "labels", "blocks",
               "layout", "recognize", "sources", "assemble", "textlayer", "output", "models", "cli"}
    assert [m for m in public if m not in modules] == sorted(docparse.__all__, key=str.casefold)


def test_import_stays_light() -> None:
    import subprocess
    import sys

    code = ("import sys, docparse; heavy = [m for m in ('paddle', 'paddlex', 'onnxruntime', 'cv2',"
            " 'openai', 'rapidocr', 'rapid_layout', 'pymupdf', 'fitz') if m in sys.modules];"
            " print(','.join(heavy))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""

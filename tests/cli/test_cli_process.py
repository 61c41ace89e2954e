"""The ``docparse`` command as a process: it leaves without Python's teardown, but only after
its exit handlers ran and its streams were flushed, with the command's own exit code; and it
leaves pymupdf's unused extras and Trio out without changing what it reads or sends."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def test_exit_handlers_run_streams_flush_and_the_code_is_kept(tmp_path: Path) -> None:
    script = textwrap.dedent(f"""
        import atexit, sys, tempfile, weakref
        from pathlib import Path
        atexit.register(lambda: print("exit handler ran"))
        # A temporary folder's finaliser is an exit handler too: it must not be left behind.
        keep = tempfile.TemporaryDirectory(dir={str(tmp_path)!r})
        Path({str(tmp_path / "tmpdir.txt")!r}).write_text(keep.name)
        print("buffered, not yet flushed", end="")
        sys.argv = ["docparse", "parse", {str(tmp_path / "missing.pdf")!r}, "-o",
                    {str(tmp_path / "out")!r}, "--quiet"]
        from docparse.cli import run
        run()
        print("never printed: run() does not return")
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 3, done.stderr  # nothing could be parsed
    assert done.stdout == "buffered, not yet flushedexit handler ran\n"
    assert "missing.pdf" in done.stderr and "Traceback" not in done.stderr
    assert not Path((tmp_path / "tmpdir.txt").read_text()).exists()


def test_python_dash_m_docparse_is_the_same_command(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "docparse", "parse", str(tmp_path / "nope.png"),
                           "-o", str(tmp_path / "out")], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 3 and "nope.png" in done.stderr


def test_pymupdf_extras_left_out_read_the_same(samples_dir: Path) -> None:
    import docparse

    script = textwrap.dedent(f"""
        import sys
        from docparse.sources.pdf import PYMUPDF_EXTRAS, leave_out_pymupdf_extras
        leave_out_pymupdf_extras()
        import docparse
        doc = docparse.parse({str(samples_dir / "report.pdf")!r})
        loaded = [name for name in PYMUPDF_EXTRAS if sys.modules.get(name) is not None]
        del sys.modules["pymupdf.layout"], sys.modules["pymupdf4llm"]
        import pymupdf4llm  # left out of the import of pymupdf, not made unimportable
        print(repr(loaded))
        print(doc.to_markdown())
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    loaded, markdown = done.stdout.split("\n", 1)
    assert loaded == "[]"
    here = docparse.parse(samples_dir / "report.pdf").to_markdown()
    assert markdown.rstrip("\n") == here.rstrip("\n")
    assert "Quarterly Water Quality Report" in here  # the comparison is of real content


def test_trio_left_out_the_command_still_talks_to_the_server(tmp_path: Path,
                                                            samples_dir: Path) -> None:
    """The command's own process halts ``import trio`` (httpcore2 would import it whenever it
    is installed); requests still go out and come back, and the library process is untouched."""
    from docparse.testing import start_fake_vllm

    with start_fake_vllm() as server:
        script = textwrap.dedent(f"""
            import sys
            sys.argv = ["docparse", "parse", {str(samples_dir / "report.pdf")!r}, "-o",
                        {str(tmp_path / "out")!r}, "--server", {server.url!r},
                        "--text-layer", "off", "--quiet"]
            import atexit
            atexit.register(lambda: print("trio:", repr(sys.modules.get("trio", "absent")),
                                          "httpcore2" in sys.modules))
            from docparse.cli import run
            run()
        """)
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                              timeout=300, check=False)
        served = server.stats().served
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "trio: None True"  # halted, and the HTTP client was used
    assert served > 0
    markdown = (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
    assert "Hello from fake vLLM" in markdown  # the server's answers are in the document


def test_the_library_leaves_trio_alone() -> None:
    script = textwrap.dedent("""
        import sys
        import docparse
        from docparse.recognize.vlm.client import EndpointClient
        print(repr(sys.modules.get("trio", "absent")))
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() != "None"


def _broken_profile_pdf(path: Path) -> Path:
    """A grey image whose ICC profile is an RGB one (MuPDF: "ICC profile (N=3) is not Gray")."""
    import io

    import pymupdf
    from PIL import Image, ImageCms

    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    png = io.BytesIO()
    Image.new("L", (64, 64), 128).save(png, "PNG")
    doc = pymupdf.open()
    page = doc.new_page(width=300, height=200)
    page.insert_text((30, 60), "Broken colour profile here")
    page.insert_image(pymupdf.Rect(30, 80, 130, 180), stream=png.getvalue())
    doc = pymupdf.open("pdf", doc.tobytes())
    image = doc[0].get_images()[0][0]
    profile = doc.get_new_xref()
    doc.update_object(profile, "<< /N 1 /Alternate /DeviceGray >>")
    doc.update_stream(profile, icc)
    doc.xref_set_key(image, "ColorSpace", f"[/ICCBased {profile} 0 R]")
    doc.save(path)
    return path


def test_the_command_reports_mupdf_errors_as_its_own_warnings_only(tmp_path: Path) -> None:
    pdf = _broken_profile_pdf(tmp_path / "profile.pdf")
    done = subprocess.run([sys.executable, "-m", "docparse", "parse", str(pdf), "-o",
                           str(tmp_path / "out")], capture_output=True, text=True, timeout=300,
                          check=False)
    assert done.returncode == 1, done.stderr  # partial: the page's picture may be wrong
    assert "profile.pdf: partial" in done.stderr
    # MuPDF prints its own line to stdout, among the output a user may pipe on.
    assert "MuPDF error" not in done.stdout + done.stderr
    # The library leaves MuPDF's switch alone: a program importing docparse still sees them.
    script = textwrap.dedent(f"""
        import docparse, pymupdf
        pymupdf.TOOLS.mupdf_display_errors(True)
        docparse.parse({str(pdf)!r})
        print(pymupdf.TOOLS.mupdf_display_errors(), pymupdf.TOOLS.mupdf_display_warnings())
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    before = subprocess.run([sys.executable, "-c", "import pymupdf; "
                             "print(pymupdf.TOOLS.mupdf_display_warnings())"],
                            capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip().splitlines()[-1] == f"True {before.stdout.strip()}"

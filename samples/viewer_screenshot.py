"""Regenerate docs/viewer.png: samples/report.pdf parsed against the fake vLLM server refusing
tables (so a failed block shows), opened in headless Chromium (Debian's, no download).

    PYTHONPATH=. .venv/bin/python samples/viewer_screenshot.py docs/viewer.png
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import docparse
from docparse.testing import FakeVLLMConfig, start_fake_vllm
from docparse.testing.fake_vllm_config import AnswerRule

HERE = Path(__file__).resolve().parent


def main(out: Path) -> None:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.support.ui import WebDriverWait

    refuse_tables = AnswerRule(prompt="Table Recognition:", fault="error", status=500)
    with start_fake_vllm(FakeVLLMConfig(rules=(refuse_tables,))) as server, docparse.Parser(
            layout="builtin", server_url=[server.url], retries=0) as parser:
        os.chdir(HERE.parent)  # so the viewer names the input samples/report.pdf
        doc = parser.parse("samples/report.pdf")
    tmp = Path(tempfile.mkdtemp())
    html = doc.save_to_html(tmp)
    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--window-size=1400,1050", "--hide-scrollbars", f"--user-data-dir={tmp / 'profile'}"):
        opts.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path="/usr/bin/chromedriver"), options=opts)
    try:
        driver.get(html.as_uri() + "#b0-7")  # the failed table, marked
        driver.execute_script("window.scrollTo(0, 0)")
        WebDriverWait(driver, 20).until(lambda d: d.execute_script(
            "return document.images[0].complete && document.images[0].naturalWidth > 0"))
        time.sleep(1)  # let the decoded picture be painted
        driver.save_screenshot(str(out))
    finally:
        driver.quit()


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else HERE.parent / "docs/viewer.png").resolve())

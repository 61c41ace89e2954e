"""Regenerate docs/viewer-served.png: ``docparse serve`` with an API key and the fake vLLM
behind it; its upload page in headless Chromium (Debian's, no download) takes the key,
parses samples/report.pdf and shows the viewer.

    PYTHONPATH=. .venv/bin/python samples/served_viewer_screenshot.py docs/viewer-served.png
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests/serve"))

from serve_fixtures import ServeProcess  # noqa: E402

from docparse.testing import FakeVLLMConfig, start_fake_vllm  # noqa: E402

KEY = "screenshot-key-0123456789"


def main(out: Path) -> None:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.support.ui import WebDriverWait

    tmp = Path(tempfile.mkdtemp())
    # A little latency per recognition request, as a real server has.
    with start_fake_vllm(FakeVLLMConfig(latency=0.2)) as server, ServeProcess(
            ["--api-key", KEY, "--server", server.url, "--layout", "builtin",
             "--orientation", "off"], work=tmp) as service:
        opts = webdriver.ChromeOptions()
        opts.binary_location = "/usr/bin/chromium"
        for flag in ("--headless", "--no-sandbox", "--disable-gpu",
                     "--disable-background-networking", "--disable-component-update",
                     "--disable-sync", "--no-first-run", "--window-size=1400,1000",
                     "--hide-scrollbars", f"--user-data-dir={tmp / 'profile'}"):
            opts.add_argument(flag)
        driver = webdriver.Chrome(service=Service(executable_path="/usr/bin/chromedriver"),
                                  options=opts)
        try:
            driver.get(service.url + "/")
            driver.find_element("id", "key").send_keys(KEY)
            driver.find_element("id", "file").send_keys(str(HERE / "report.pdf"))
            driver.find_element("id", "go").click()
            WebDriverWait(driver, 120).until(
                lambda d: d.find_element("id", "viewer").is_displayed())
            driver.switch_to.frame(driver.find_element("id", "viewer"))
            WebDriverWait(driver, 20).until(lambda d: d.execute_script(
                "return document.images[0].complete && document.images[0].naturalWidth > 0"))
            driver.switch_to.default_content()
            time.sleep(1)  # let the decoded picture be painted
            driver.save_screenshot(str(out))
        finally:
            driver.quit()


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else HERE.parent / "docs/viewer-served.png").resolve())

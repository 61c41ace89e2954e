"""Shared fixtures. Tests never touch the network: only 127.0.0.1 servers they start."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
EVAL_DEV = ROOT.parent / "shared" / "eval-dev"


@pytest.fixture(autouse=True)
def _clean_docparse_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No DOCPARSE_* from the developer's shell leaks into a test."""
    for key in list(os.environ):
        if key.startswith("DOCPARSE_"):
            monkeypatch.delenv(key, raising=False)


@pytest.fixture(scope="session")
def samples_dir() -> Path:
    if not (SAMPLES / "report.pdf").exists():
        sys.path.insert(0, str(SAMPLES))
        import make_samples  # type: ignore[import-not-found]

        make_samples.main(SAMPLES)
    return SAMPLES


# ---------------------------------------------------------------- headless Chromium (viewer tests)

@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """Debian's Chromium through its chromedriver (scripts/test installs both; nothing is
    downloaded: an explicit driver path keeps Selenium Manager from running)."""
    import shutil

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    chromedriver = shutil.which("chromedriver")
    if chromium is None or chromedriver is None:
        pytest.skip("chromium / chromedriver not installed (scripts/test installs them)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = chromium
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-dev-shm-usage", "--window-size=1400,1000",
                 f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=chromedriver), options=opts)
    try:
        yield driver
    finally:
        driver.quit()

"""Fixtures shared by the test modules."""
from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def real_data_dir() -> Path:
    """The real benchmark data: $HARNESS_DATA_DIR, else the repository's sibling ``../shared/data``.

    Tests that use it are marked ``realdata`` and skip, saying where they looked, where it is absent.
    """
    path = Path(os.environ.get("HARNESS_DATA_DIR") or Path(__file__).resolve().parents[2] / "shared" / "data")
    if not path.is_dir():
        pytest.skip(f"real data directory {path} not found (set HARNESS_DATA_DIR to run the realdata tests)")
    return path


@pytest.fixture(scope="session")
def java_runtime():
    """A Java 21+ home for pyserini; tests that need one skip, with the discovery message, where there is none."""
    from harness.errors import HarnessError
    from harness.models.java import find_java

    try:
        return find_java()
    except HarnessError as error:
        pytest.skip(f"BM25 needs Java 21+: {error}")


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium (Debian's ``chromium`` + ``chromium-driver``) driven by selenium, offline.

    The explicit chromedriver path keeps Selenium Manager (which would download a driver) out of it;
    ``goog:loggingPrefs`` makes the console readable through ``get_log("browser")``.
    """
    import shutil

    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium not installed (pip install -e '.[test]')")
    from selenium.webdriver.chrome.service import Service

    chromium, chromedriver = shutil.which("chromium") or shutil.which("chromium-browser"), shutil.which("chromedriver")
    if not (chromium and chromedriver):
        pytest.skip("headless Chromium not found (apt-get install chromium chromium-driver; .ci/run does this)")
    options = webdriver.ChromeOptions()
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,1000"):
        options.add_argument(argument)
    options.binary_location = chromium
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(chromedriver), options=options)
    yield driver
    driver.quit()


@pytest.fixture(scope="session")
def tiny_backbone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 2-layer BERT with random weights and a tokenizer trained on toy texts, as a checkpoint folder."""
    from tests.neural_toys import build_tiny_backbone

    return build_tiny_backbone(tmp_path_factory.mktemp("tiny-bert"))

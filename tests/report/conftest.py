"""A headless Chromium (selenium) for the report tests; skipped when it is not installed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

INSTALL = "install it with `apt-get install chromium chromium-driver` (and `pip install selenium`)"


@pytest.fixture(scope="session")
def browser(tmp_path_factory: pytest.TempPathFactory):
    """A selenium Chrome driver on headless Chromium, logging the browser console."""
    chromium = shutil.which("chromium") or shutil.which("/usr/bin/chromium")
    driver_path = shutil.which("chromedriver") or shutil.which("/usr/bin/chromedriver")
    if chromium is None:
        pytest.skip(f"Chromium not found (/usr/bin/chromium); {INSTALL}")
    if driver_path is None:
        pytest.skip(f"chromedriver not found (/usr/bin/chromedriver); {INSTALL}")
    webdriver = pytest.importorskip("selenium.webdriver", reason=f"selenium missing; {INSTALL}")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield Browser(driver)
    finally:
        driver.quit()


class Browser:
    """The driver plus helpers to load a local file and read the console."""

    def __init__(self, driver) -> None:
        self.driver = driver

    def open(self, path: Path) -> None:
        """Load a local file with an empty console log (earlier entries are drained)."""
        self.driver.get_log("browser")
        self.driver.get(Path(path).resolve().as_uri())

    def severe(self) -> list[dict]:
        """Console entries at level SEVERE since the last read."""
        return [e for e in self.driver.get_log("browser") if e.get("level") == "SEVERE"]

    def js(self, script: str):
        """Run JavaScript in the page and return its value."""
        return self.driver.execute_script(script)

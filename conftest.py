"""Repo-wide pytest configuration.

nbval already skips ``image/png`` outputs, but a figure glued with MyST-NB's ``glue``
is stored under ``application/papermill.record/image/png`` too, and PNG bytes are not
reproducible across matplotlib builds. Skip that key as well; everything else a
notebook prints is compared exactly.

The header of every run names the browser that ``tests/test_browser.py`` drives.
"""

import os
import shutil
import subprocess
from importlib.metadata import PackageNotFoundError, version


def pytest_collectstart(collector):
    if hasattr(collector, "skip_compare"):
        collector.skip_compare = (*collector.skip_compare, "application/papermill.record/image/png")


def pytest_report_header(config):
    chromium = (
        os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    )
    if chromium is None:
        browser = "chromium not found (make test installs it with apt-get)"
    else:
        result = subprocess.run(
            [chromium, "--version"], capture_output=True, text=True, timeout=60, check=False
        )
        browser = f"{result.stdout.strip() or 'version unknown'} at {chromium}"
    try:
        playwright = f"playwright {version('playwright')}"
    except PackageNotFoundError:
        playwright = "playwright not installed"
    return f"browser test: {browser}; {playwright}"

"""Debian's Chromium, as the browser tests drive it through Playwright (never a downloaded
browser). `make test` installs it when it is missing; in CI nothing is skipped."""

import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
# Without the background-networking flags Chromium keeps dialling Google on a closed network.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def installed_chromium() -> Path:
    """The browser, or the test fails (in CI) or skips saying how to install it."""
    if not CHROMIUM.is_file():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} missing in CI: `make test` installs Debian's chromium")
        pytest.skip(f"{CHROMIUM} missing: `make test` installs it (apt-get, needs root)")
    return CHROMIUM

"""The browser fixtures of tests/browser, for the atlas pages' browser tests (where Chromium exists)."""

import os

if os.path.exists("/usr/bin/chromium"):
    from tests.browser.conftest import browser, open_session  # noqa: F401

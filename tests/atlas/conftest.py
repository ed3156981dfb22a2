"""The browser fixtures of tests/browser, for the atlas pages' browser tests."""

from tests.browser.conftest import browser, open_session  # noqa: F401

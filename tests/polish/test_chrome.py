"""Item 5 (this helper's part): a favicon on every page, and a visible language switch on staff pages
that works (the portal is Chinese-only by design: it has no switch)."""

from __future__ import annotations

from django.test import Client

from tests.conftest import Org
from tests.web.conftest import signed_in


def test_favicon_linked_and_served(org: Org) -> None:
    c = signed_in(org.user("handler1"))
    for url in ("/", "/staff/workbench/", "/portal/"):
        assert 'rel="icon"' in c.get(url).content.decode(), url
    r = Client().get("/favicon.ico")
    assert r.status_code == 301 and r["Location"].endswith("core/favicon.svg")


def test_staff_language_switch(org: Org) -> None:
    c = signed_in(org.user("handler1"))
    page = c.get("/staff/workbench/").content.decode()
    assert 'class="lang-switch"' in page and 'value="en"' in page and "onclick" not in page
    r = c.post("/i18n/setlang/", {"language": "en", "next": "/staff/workbench/"})
    assert r.status_code == 302
    english = c.get("/staff/workbench/")
    assert english.content.decode().startswith('<!doctype html>\n<html lang="en"')

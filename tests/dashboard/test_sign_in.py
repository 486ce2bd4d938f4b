"""Signing in: the dashboard is at / (a sign-in page without a session), a key in a cookie
opens it, a wrong key does not, and signing out closes it."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.xdist_group("dashboard")


def test_without_a_session_the_root_is_the_sign_in_page(dashboard):
    with dashboard.client() as c:
        r = c.get("/")
    assert r.status_code == 200
    assert 'action="/login"' in r.text and 'name="key"' in r.text


@pytest.mark.parametrize("path", ["/pipeline", "/forecast", "/definitions", "/definitions/metrics/win_rate"])
def test_every_other_page_sends_a_visitor_without_a_session_to_sign_in(dashboard, path):
    with dashboard.client() as c:
        r = c.get(path, follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/login"


def test_a_wrong_key_is_refused_with_the_sign_in_page_and_no_cookie(dashboard):
    with dashboard.client() as c:
        r = c.post("/login", data={"key": "rvk_nope_notakey"}, follow_redirects=False)
        assert r.status_code == 401
        assert "not a live API key" in r.text
        assert "set-cookie" not in r.headers
        assert c.get("/pipeline", follow_redirects=False).status_code == 303


def test_a_good_key_sets_a_strict_http_only_cookie_and_opens_the_pages(dashboard):
    with dashboard.client() as c:
        r = c.post("/login", data={"key": dashboard.keys["admin"]}, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/"
        cookie = r.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=strict" in cookie
        home = c.get("/")
        assert home.status_code == 200 and "Where is the pipeline right now?" in home.text
        assert c.get("/pipeline").status_code == 200
        out = c.get("/logout", follow_redirects=False)
        assert out.status_code == 303
        assert c.get("/pipeline", follow_redirects=False).status_code == 303


def test_the_sign_in_link_with_the_key_in_the_url_signs_in(dashboard):
    with dashboard.client() as c:
        r = c.get("/login", params={"key": dashboard.keys["rep"]}, follow_redirects=False)
        assert r.status_code == 303
        assert "Where is the pipeline right now?" in c.get("/").text


def test_a_bearer_header_opens_the_pages_too(dashboard):
    with dashboard.client("ops") as c:
        r = c.get("/pipeline")
    assert r.status_code == 200
    assert "page;dur=" in r.headers["server-timing"]


@pytest.mark.browser
def test_signing_in_through_the_form_in_a_browser(anonymous, dashboard):
    tab = anonymous
    response = tab.open(dashboard.url + "/")
    assert response.status == 200
    tab.page.fill("input[name=key]", "rvk_wrong_key")
    tab.page.click("button[type=submit]")
    assert tab.page.locator(".error").is_visible()
    tab.page.fill("input[name=key]", dashboard.keys["manager"])
    tab.page.click("button[type=submit]")
    tab.page.wait_for_selector("#q-pipeline")
    assert tab.page.locator(".who").get_attribute("data-role") == "manager"
    assert tab.page.locator(".who").get_attribute("data-view") == "team"
    # the wrong key's 401 shows up as a console error of the document load; nothing else may
    assert all("401" in e for e in tab.errors), tab.errors

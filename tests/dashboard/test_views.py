"""Filters and role views: a team filter changes the numbers, a rep sees only their own deals
and a manager only their team's, and every number leads to its explanation."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.dashboard.conftest import DRAWN

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("dashboard")]


def open_pipeline(tab) -> str:
    return tab.page.locator("#q-pipeline a[data-metric='open_pipeline']").first.inner_text()


def test_the_team_filter_changes_the_open_pipeline(signed_in, dashboard):
    tab = signed_in("admin")
    tab.open(dashboard.url + "/")
    everyone = open_pipeline(tab)
    tab.page.select_option("select[name=team]", dashboard.team_name)
    tab.page.wait_for_url("**team=*")
    tab.page.wait_for_function(DRAWN)
    team = open_pipeline(tab)
    assert team != everyone
    assert "team=" in tab.page.locator("#q-pipeline a[data-metric='open_pipeline']").first.get_attribute("href")
    assert tab.errors == []


def deal_owners(tab, dashboard, table: str = "#deals") -> list[str]:
    tab.open(dashboard.url + "/pipeline")
    return [r.get_attribute("data-owner") for r in tab.page.locator(f"{table} tbody tr[data-owner]").all()]


def test_a_rep_sees_only_their_own_deals(signed_in, dashboard):
    tab = signed_in("rep")
    owners = deal_owners(tab, dashboard)
    assert owners and set(owners) == {dashboard.rep}
    assert set(deal_owners(tab, dashboard, "#at-risk")) <= {dashboard.rep}
    # the owner filter is fixed to the rep: asking for someone else changes nothing
    other = tab.open(dashboard.url + "/pipeline?owner=usr_nobody")
    assert other.status == 200
    assert {r.get_attribute("data-owner") for r in tab.page.locator("#deals tbody tr[data-owner]").all()} == {dashboard.rep}
    assert tab.page.locator("select[name=owner] option").count() == 1


def test_a_manager_sees_their_team_and_an_executive_sees_more(signed_in, dashboard):
    manager = deal_owners(signed_in("manager"), dashboard)
    assert manager and set(manager) <= dashboard.team
    everyone = deal_owners(signed_in("admin"), dashboard)
    assert not set(everyone) <= dashboard.team


def test_a_managers_forecast_roll_up_holds_only_their_team(signed_in, dashboard):
    tab = signed_in("manager")
    tab.open(dashboard.url + "/forecast")
    rows = {r.get_attribute("data-owner") for r in tab.page.locator("#rollup tbody tr[data-owner]").all()}
    assert rows and rows <= dashboard.team


def test_every_number_links_to_an_explanation_page_that_loads(signed_in, dashboard):
    tab = signed_in("admin")
    targets: set[str] = set()
    for path in ["/", "/funnel", "/pipeline", "/forecast", "/leads", "/customers", "/quality", "/workflows"]:
        tab.open(dashboard.url + path)
        numbers = tab.page.locator("main a.num")
        assert numbers.count() > 0, path
        hrefs = numbers.evaluate_all("els => els.map(e => e.getAttribute('href'))")
        assert all(h and h.startswith("/definitions/metrics/") for h in hrefs), path
        unexplained = tab.page.locator("main .card .value").evaluate_all(
            "els => els.filter(e => !e.querySelector('a.num, .na')).map(e => e.textContent)")
        assert unexplained == [], f"{path}: numbers without a link: {unexplained}"
        targets |= {urlsplit(h).path for h in hrefs}
    assert any("." in t for t in targets) and any("." not in t for t in targets)  # engine numbers and metrics
    with dashboard.client("admin") as c:
        for target in sorted(targets):
            response = c.get(target)
            assert response.status_code == 200, target
            name = target.rsplit("/", 1)[1]
            assert f"<h2>{name}</h2>" in response.text, target
            assert "Unknown number" not in response.text, target
    for target in (min(t for t in targets if "." in t), min(t for t in targets if "." not in t)):
        tab.open(dashboard.url + target)
        assert tab.page.locator("main h2").first.inner_text() == target.rsplit("/", 1)[1]
    assert tab.errors == []

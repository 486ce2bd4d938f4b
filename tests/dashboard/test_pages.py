"""Every page loads in a real browser without a console error, and every chart draws."""

from __future__ import annotations

import pytest

from tests.dashboard.conftest import PAGES

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("dashboard")]


@pytest.mark.parametrize("role", ["admin", "manager", "rep"])
def test_every_page_loads_cleanly_and_draws_its_charts(signed_in, dashboard, role):
    tab = signed_in(role)
    for path in PAGES:
        response = tab.open(dashboard.url + path)
        assert response.status == 200, path
        assert tab.page.locator("main section").count() > 0, path
        boxes = tab.page.locator("div.chart")
        for i in range(boxes.count()):
            box = boxes.nth(i)
            drawn = box.locator("svg.main-svg").count() + box.locator("canvas").count()
            assert drawn > 0, f"{path}: chart {box.get_attribute('id')} did not draw"
        assert tab.errors == [], f"{path}: {tab.errors}"


def test_the_charts_are_drawn_by_the_plotly_copy_revops_serves(dashboard):
    with dashboard.client("admin") as c:
        page = c.get("/")
        js = c.get("/static/plotly.min.js")
    assert "cdn" not in page.text.lower()
    assert js.status_code == 200 and "max-age=31536000" in js.headers["cache-control"]
    assert len(js.content) > 1_000_000


@pytest.mark.browser
def test_the_routing_graph_is_drawn_with_a_box_per_node_and_an_arrow_per_branch(signed_in, dashboard):
    from revops.model import load_model

    nodes = load_model(None).routing.nodes
    tab = signed_in("admin")
    tab.open(dashboard.url + "/definitions")
    graph = tab.page.locator("#routing-graph svg")
    assert graph.locator("g.node").count() == len(nodes)
    assert graph.locator("path.edge").count() >= len(nodes) - 1
    start = [n.key for n in nodes if n.type == "start"][0]
    assert graph.locator(f"g.node[data-node='{start}']").count() == 1

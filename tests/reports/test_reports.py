"""Reports: each builds into one self-contained, valid HTML file whose numbers are the
metrics layer's and the engines' for the same day."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.conftest import DEMO_TODAY, run_cli

AS_OF = DEMO_TODAY.isoformat()
PERIODS = {"weekly": None, "monthly": "2026-04", "board": "2026-Q1"}


class Page(HTMLParser):
    """Tags, attributes, svg shapes and the text of every [data-metric]/[data-number] span."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.attrs: list[tuple[str, dict]] = []
        self.numbers: dict[str, list[str]] = {}
        self._open: str | None = None
        self.errors: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.attrs.append((tag, a))
        if tag not in ("meta", "br", "rect", "circle", "line", "polyline"):
            self.stack.append(tag)
        key = a.get("data-metric") or a.get("data-number")
        if tag == "span" and key:
            self._open = key
            self.numbers.setdefault(key, []).append("")

    def handle_startendtag(self, tag, attrs):
        self.attrs.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        if tag in ("meta", "br", "rect", "circle", "line", "polyline"):
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else None}>")
        else:
            self.stack.pop()
        if tag == "span":
            self._open = None

    def handle_data(self, data):
        if self._open:
            self.numbers[self._open][-1] += data


def parse(html: str) -> Page:
    p = Page()
    p.feed(html)
    p.close()
    return p


def tile(html: str, label: str) -> str:
    """The number shown in the headline tile ``label``."""
    found = re.search(rf'<div class="label">{re.escape(label)}</div><div class="value"><span[^>]*>([^<]*)</span>', html)
    assert found, label
    return found.group(1)


def amount(shown: str) -> float:
    return float(re.sub(r"[^0-9.\-]", "", shown))


@pytest.fixture(scope="module")
def reports(demo_files, tmp_path_factory) -> dict[str, tuple[str, Page]]:
    folder = tmp_path_factory.mktemp("reports")
    out = {}
    for name, period in PERIODS.items():
        path = folder / f"{name}.html"
        args = ["--db", str(demo_files["small"]), "report", name, "--as-of", AS_OF, "--out", str(path)]
        r = run_cli(*args, *(["--period", period] if period else []), timeout=300)
        assert r.returncode == 0, r.stderr
        html = path.read_text(encoding="utf-8")
        out[name] = (html, parse(html))
    return out


def cli_json(demo_files, *args: str):
    r = run_cli("--db", str(demo_files["small"]), *args, "--format", "json")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def metric(demo_files, name: str, *args: str) -> float:
    rows = cli_json(demo_files, "metrics", name, "--as-of", AS_OF, *args)
    return rows[-1]["value"]


@pytest.mark.parametrize("name", list(PERIODS))
def test_a_report_is_one_valid_self_contained_page(reports, name):
    html, page = reports[name]
    assert html.startswith("<!DOCTYPE html>")
    assert page.errors == [] and page.stack == []
    assert not any(tag == "script" for tag, _ in page.attrs)
    for tag, attrs in page.attrs:
        for key in ("src", "href"):
            assert not (attrs.get(key) or "").lower().startswith(("http", "//")), (tag, attrs)
    assert "http://" not in html and "https://" not in html
    assert "@media print" in html and "break-inside: avoid" in html


@pytest.mark.parametrize("name", list(PERIODS))
def test_charts_are_inline_svg_with_data(reports, name):
    html, page = reports[name]
    shapes = [a for tag, a in page.attrs if tag in ("rect", "circle") and "data-value" in a]
    assert html.count("<svg") >= 2
    assert any(float(a["data-value"]) != 0 for a in shapes)


@pytest.mark.parametrize("name", list(PERIODS))
def test_every_number_carries_its_definition_and_the_appendix_lists_it(reports, name):
    html, page = reports[name]
    spans = [a for tag, a in page.attrs if tag == "span" and ("data-metric" in a or "data-number" in a)]
    assert len(spans) > 10
    assert all(a.get("title") for a in spans)
    appendix = html[html.index('id="definitions"'):]
    for key in page.numbers:
        assert f"<dt>{key}</dt>" in appendix


def test_weekly_forecast_is_the_forecast_engines(reports, demo_files):
    _, page = reports["weekly"]
    fc = cli_json(demo_files, "forecast", "--as-of", AS_OF)
    for k in ("closed_won", "commit", "p10", "p50", "p90"):
        assert amount(page.numbers[f"forecast.{k}"][0]) == round(fc[k]), k


def test_weekly_quarter_numbers_are_the_metrics_layers(reports, demo_files):
    _, page = reports["weekly"]
    q = ("--period", "quarter", "--from", "2026-04-01", "--to", "2026-06-30")
    assert amount(page.numbers["won_amount"][0]) == round(metric(demo_files, "won_amount", *q))
    assert amount(page.numbers["open_pipeline"][0]) == round(metric(demo_files, "open_pipeline", *q))
    this_week = metric(demo_files, "pipeline_created", "--from", "2026-05-09", "--to", AS_OF)
    assert amount(page.numbers["pipeline_created"][0]) == round(this_week)


def test_weekly_flow_and_deals_at_risk_are_the_engines(reports, demo_files):
    _, page = reports["weekly"]
    flow = cli_json(demo_files, "pipeline", "flow", "--from", "2026-05-09", "--to", AS_OF, "--period", "2026-Q2")
    flow = flow[0] if isinstance(flow, list) else flow
    assert amount(page.numbers["flow.end"][0]) == round(flow["end"])
    rules = cli_json(demo_files, "hygiene", "rules", "--as-of", AS_OF)
    assert amount(page.numbers["hygiene.deals_at_risk"][0]) == rules["headline"]["deals"]


def test_monthly_numbers_are_the_metrics_layers(reports, demo_files):
    html, page = reports["monthly"]
    m = ("--period", "month", "--from", "2026-04-01", "--to", "2026-04-30")
    assert amount(tile(html, "Bookings")) == round(metric(demo_files, "won_amount", *m))
    assert amount(page.numbers["lead_count"][0]) == metric(demo_files, "lead_count", *m)
    assert amount(page.numbers["bridge.mrr"][0]) == round(metric(demo_files, "mrr", *m))


def test_board_numbers_are_the_metrics_layers(reports, demo_files):
    _, page = reports["board"]
    q = ("--period", "quarter", "--from", "2026-01-01", "--to", "2026-03-31")
    assert amount(page.numbers["arr"][0]) == round(metric(demo_files, "arr", *q))
    assert amount(page.numbers["won_amount"][0]) == round(metric(demo_files, "won_amount", *q))
    nrr = metric(demo_files, "nrr", *q)
    assert amount(page.numbers["nrr"][0]) == round(nrr * 100, 1)


def test_an_unknown_report_is_refused_with_the_names(demo_files, tmp_path):
    r = run_cli("--db", str(demo_files["small"]), "report", "yearly", "--out", str(tmp_path / "x.html"))
    assert r.returncode == 1
    assert "unknown report 'yearly'" in r.stderr and "weekly, monthly, board" in r.stderr
    assert not (tmp_path / "x.html").exists()


def test_an_unwritable_path_is_refused_and_leaves_nothing(demo_files, tmp_path):
    out = tmp_path / "missing" / "weekly.html"
    r = run_cli("--db", str(demo_files["small"]), "report", "weekly", "--as-of", AS_OF, "--out", str(out))
    assert r.returncode == 1
    assert "cannot write" in r.stderr and "does not exist" in r.stderr


def test_a_write_is_atomic(tmp_path):
    from revops.reports import write_report

    target = tmp_path / "r.html"
    target.write_text("old")
    write_report("<!DOCTYPE html><html></html>", target)
    assert target.read_text() == "<!DOCTYPE html><html></html>"
    assert [p.name for p in tmp_path.iterdir()] == ["r.html"]


def test_a_team_filter_changes_the_numbers(demo_files, tmp_path):
    out = tmp_path / "team.html"
    r = run_cli("--db", str(demo_files["small"]), "report", "weekly", "--as-of", AS_OF, "--team", "NA Smb",
                "--out", str(out))
    assert r.returncode == 0, r.stderr
    page = parse(out.read_text())
    q = ("--period", "quarter", "--from", "2026-04-01", "--to", "2026-06-30", "--where", "team = 'NA Smb'")
    assert amount(page.numbers["open_pipeline"][0]) == round(metric(demo_files, "open_pipeline", *q))

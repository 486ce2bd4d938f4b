"""The dashboard served over real HTTP from a copy of the small demo, and a real headless
browser (Debian's chromium, driven by Playwright) to look at it.

Browser tests are marked ``browser``; they run under ``make test``. Without /usr/bin/chromium
they skip, unless REVOPS_REQUIRE_BACKENDS=1 (``make test``, CI): then they fail.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from revops.access import create_key
from revops.access.keys import team_members
from revops.api import ApiSettings, create_app
from revops.api.services import ApiServices
from revops.store import Store
from tests.conftest import backend_missing

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
DRAWN = "() => [...document.querySelectorAll('div.chart')].every(c => c.querySelector('svg.main-svg, canvas'))"
PAGES = ["/", "/funnel", "/pipeline", "/forecast", "/leads", "/customers", "/quality", "/workflows", "/definitions",
         "/definitions/metrics/open_pipeline"]


def pytest_configure(config: Any) -> None:
    config.addinivalue_line("markers", "browser: tests that drive a real headless chromium (Playwright)")


@dataclass(frozen=True)
class Dashboard:
    url: str
    keys: dict[str, str]
    """admin, manager, rep -> API key."""
    rep: str
    """The rep's user id."""
    manager: str
    team: frozenset[str]
    """The manager's team: the owner ids a manager key sees."""
    team_name: str
    """A team (users.team) with open pipeline, for the filter tests."""

    def client(self, role: str | None = None, **kw: Any) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.keys[role]}"} if role else None
        return httpx.Client(base_url=self.url, headers=headers, timeout=60, **kw)


def _people(store: Store) -> tuple[str, str, str]:
    """(a rep owning open deals, a manager whose team owns deals, a team with open deals)."""
    con = store.con
    rep = con.execute("""SELECT o.owner_id FROM opportunities o JOIN users u ON u.user_id = o.owner_id
                         WHERE o.stage NOT IN ('closed_won', 'closed_lost') GROUP BY 1
                         ORDER BY count(*) DESC, 1 LIMIT 1""").fetchone()[0]
    managers = [m for (m,) in con.execute("SELECT user_id FROM users WHERE role = 'manager' ORDER BY user_id").fetchall()]
    best = max(managers, key=lambda m: (len(team_members(con, m)), m))
    team = con.execute("""SELECT u.team FROM opportunities o JOIN users u ON u.user_id = o.owner_id
                          WHERE o.stage NOT IN ('closed_won', 'closed_lost') AND u.team IS NOT NULL
                          GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1""").fetchone()[0]
    return rep, best, team


@pytest.fixture(scope="session")
def dashboard(demo_files: dict[str, Path], tmp_path_factory: Any) -> Iterator[Dashboard]:
    db = tmp_path_factory.mktemp("dashboard") / "demo.duckdb"
    shutil.copy(demo_files["small"], db)
    with Store(db) as s:
        rep, manager, team_name = _people(s)
        keys = {"admin": create_key(s, "admin")["key"], "ops": create_key(s, "ops")["key"],
                "manager": create_key(s, "manager", user_id=manager)["key"],
                "rep": create_key(s, "rep", user_id=rep)["key"]}
        team = team_members(s.con, manager)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    settings = ApiSettings(db=db, port=port)
    services = ApiServices.open(settings)
    server = uvicorn.Server(uvicorn.Config(create_app(settings, services=services), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the dashboard server did not start")
        time.sleep(0.02)
    try:
        yield Dashboard(f"http://127.0.0.1:{port}", keys, rep, manager, team, team_name)
    finally:
        server.should_exit = True
        thread.join(30)
        sock.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        backend_missing(f"chromium is not installed at {CHROMIUM} (`make chromium`, or apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        found = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield found
        finally:
            found.close()


class Tab:
    """A browser page that records console errors and uncaught exceptions."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.errors: list[str] = []
        page.on("console", lambda m: self.errors.append(f"console: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(f"pageerror: {e}"))

    def open(self, url: str) -> Any:
        """Go to ``url`` and wait until every chart has drawn (at most 15 s: a chart that does
        not draw is the test's to report)."""
        response = self.page.goto(url, wait_until="load")
        try:
            self.page.wait_for_function(DRAWN, timeout=15_000)
        except Exception:  # noqa: BLE001 - the assertions say which chart
            pass
        return response


@pytest.fixture
def signed_in(browser: Any, dashboard: Dashboard) -> Iterator[Any]:
    """signed_in(role) -> a Tab whose browser holds that role's session cookie."""
    contexts: list[Any] = []

    def open_as(role: str) -> Tab:
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        contexts.append(context)
        tab = Tab(context.new_page())
        tab.open(f"{dashboard.url}/login?key={dashboard.keys[role]}")
        return tab

    yield open_as
    for c in contexts:
        c.close()


@pytest.fixture
def anonymous(browser: Any) -> Iterator[Tab]:
    context = browser.new_context()
    yield Tab(context.new_page())
    context.close()

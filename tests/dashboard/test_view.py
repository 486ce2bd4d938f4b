"""What a viewer's filters and role turn into: the metrics layer's where, the owner set of
every list, and the period."""

from __future__ import annotations

from datetime import date

from revops.access import Principal
from revops.dashboard.view import Filters, View
from revops.engines.metrics.periods import FiscalCalendar

DAY = date(2026, 5, 15)
CAL = FiscalCalendar(1)
ADMIN = Principal("k1", "admin")
MANAGER = Principal("k2", "manager", "mgr", frozenset({"mgr", "rep_a", "rep_b"}))
REP = Principal("k3", "rep", "rep_a", frozenset({"rep_a"}))


def view(principal: Principal, team_owners=None, **filters: str) -> View:
    return View(principal, Filters(**filters), DAY, CAL, team_owners)


def test_an_executive_without_filters_asks_for_everything():
    v = view(ADMIN)
    assert v.where is None and v.owners is None and v.name == "executive"


def test_filters_become_one_where_expression_and_an_owner_set():
    v = view(ADMIN, frozenset({"u1", "u2"}), team="NA Smb", segment="smb", owner="u1")
    assert v.where == "owner = 'u1' and team = 'NA Smb' and segment = 'smb'"
    assert v.owners == frozenset({"u1"})


def test_a_quote_in_a_filter_cannot_end_the_expression():
    assert view(ADMIN, team="O'Brien's").where == "team = 'O\\'Brien\\'s'"


def test_a_manager_is_held_to_their_team_whatever_the_owner_filter_says():
    assert view(MANAGER).where == "owner in ('mgr', 'rep_a', 'rep_b')"
    outside = view(MANAGER, owner="someone_else")
    assert outside.owner == "" and outside.owners == MANAGER.owners
    inside = view(MANAGER, owner="rep_b")
    assert inside.owners == frozenset({"rep_b"}) and inside.name == "team"


def test_a_rep_sees_only_themselves():
    v = view(REP, owner="rep_b")
    assert v.owner == "rep_a" and v.owners == frozenset({"rep_a"}) and v.name == "own"
    assert "owner = 'rep_a'" in v.where


def test_the_period_is_the_quarter_of_the_data_day_unless_one_is_picked():
    assert view(ADMIN).period.label == "2026-Q2"
    month = view(ADMIN, period="2026-02").period
    assert (month.grain, month.start, month.end) == ("month", date(2026, 2, 1), date(2026, 2, 28))
    assert view(ADMIN, period="2026-02").quarter.label == "2026-Q1"
    assert view(ADMIN, period="nonsense").period.label == "2026-Q2"
    assert view(ADMIN).next_quarter().label == "2026-Q3"


def test_links_keep_the_filters():
    assert view(ADMIN, team="NA Smb").query(period="2026-Q1") == "?period=2026-Q1&team=NA+Smb"

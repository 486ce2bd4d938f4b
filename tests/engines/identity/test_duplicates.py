"""Finding duplicates: the same person or company entered again is one cluster, with the reasons
in words; look-alikes are not."""

from __future__ import annotations

import pytest

from revops.engines.identity import find_duplicates
from revops.engines.identity.errors import IdentityError
from revops.engines.identity.evaluate import cluster_pairs, pairwise_score, truth_pairs
from revops.engines.identity.predict import connected_components
from revops.store import Store
from tests.engines.identity.conftest import clustered_with


def test_a_person_entered_three_ways_is_one_contact(crm, model):
    report = find_duplicates(crm.con, model, "contacts")
    # same address in upper case and padded; moved to gmail with a typo'd last name and the same phone
    assert clustered_with(report, "con_ana") == {"con_ana", "con_ana2", "con_ana3"}
    # "Bob" read as "Robert", same account and last name
    assert clustered_with(report, "con_rob") == {"con_rob", "con_bob"}
    assert not report.trained  # eight contacts: the prior weights


def test_colleagues_and_namesakes_are_not_merged(crm, model):
    report = find_duplicates(crm.con, model, "contacts")
    assert clustered_with(report, "con_carlos") == {"con_carlos"}  # Ana's colleague, same last name
    assert clustered_with(report, "con_maria") == {"con_maria"}  # Maria and Mario Garcia at Initech


def test_each_pair_says_why_with_the_weight_of_each_reason(crm, model):
    report = find_duplicates(crm.con, model, "contacts")
    pair = next(p for p in report.matches if {p.record_id_l, p.record_id_r} == {"con_ana", "con_ana2"})
    assert pair.probability >= model.identity.contacts.match_threshold
    reasons = {r.level: r.weight for r in pair.reasons}
    assert reasons["same e-mail address"] > 10
    assert any(level.startswith("same first name") for level in reasons)
    bob = next(p for p in report.matches if {p.record_id_l, p.record_id_r} == {"con_bob", "con_rob"})
    assert {"different e-mail addresses"} <= {r.level for r in bob.reasons if r.weight < 0}


def test_rows_follow_the_contract_and_name_the_survivor_as_cluster(crm, model):
    rows = find_duplicates(crm.con, model, "contacts").rows()
    ana = [r for r in rows if r["cluster_id"] == "con_ana"]
    assert {r["record_id"] for r in ana} == {"con_ana", "con_ana2", "con_ana3"}
    assert all(set(r) >= {"cluster_id", "record_id", "match_probability", "reasons"} for r in rows)
    assert [r["record_id"] for r in ana if r["survivor"]] == ["con_ana"]  # the most complete record


def test_accounts_sharing_a_domain_but_not_a_name_stay_apart(crm, model):
    report = find_duplicates(crm.con, model, "accounts")
    assert clustered_with(report, "acc_acme2") == {"acc_acme", "acc_acme2"}
    assert clustered_with(report, "acc_globex_labs") == {"acc_globex_labs"}
    assert list(report.clusters) == ["acc_acme"]  # accounts survive by age: the oldest keeps its id


def test_leads_are_deduplicated_too(crm, model):
    report = find_duplicates(crm.con, model, "leads")
    assert report.clusters == {"lead_1": ["lead_1", "lead_2"]}


def test_a_higher_threshold_merges_less(crm, model):
    strict = model.model_copy(deep=True)
    strict.identity.contacts.match_threshold = 0.99
    report = find_duplicates(crm.con, strict, "contacts")
    assert clustered_with(report, "con_rob") == {"con_rob"}  # 0.91: now only listed for review
    assert any({p.record_id_l, p.record_id_r} == {"con_bob", "con_rob"} for p in report.reviews)


def test_only_contacts_leads_and_accounts_are_deduplicated(crm, model):
    with pytest.raises(IdentityError, match="choose one of contacts, leads, accounts"):
        find_duplicates(crm.con, model, "opportunities")


def test_clusters_are_connected_components():
    assert connected_components([("a", "b"), ("c", "b"), ("x", "y")]) == [["a", "b", "c"], ["x", "y"]]


@pytest.mark.parametrize("table", ["accounts", "contacts"])
def test_the_demo_duplicates_are_found_with_precision_and_recall_of_95_percent(demo_files, model, table):
    with Store(demo_files["small"], read_only=True) as store:
        report = find_duplicates(store.con, model, table)
        score = pairwise_score(cluster_pairs(report.clusters), truth_pairs(store.con, table))
    assert report.trained
    assert score.true_pairs > 20
    assert score.precision >= 0.95, score.as_dict()
    assert score.recall >= 0.95, score.as_dict()

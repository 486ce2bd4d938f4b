"""Rule-based attribution on journeys small enough to work out by hand.

The journeys, unless a test says otherwise (value = the deal's amount):

    email > search > webinar > search     converted, $1,000
    search                                converted, $500
    webinar > email                       did not convert
"""

from __future__ import annotations

import pytest

from revops.engines.attribution import AttributionError, attribute
from revops.engines.attribution.journeys import from_names as journeys
from revops.engines.attribution.rule_based import touch_weights

PATHS = ["email > search > webinar > search", "search", "webinar > email"]
CONV = [1, 1, 0]
VALUE = [1000.0, 500.0, 0.0]
NULLS = [0, 0, 1]


def credit(model: str, **kw) -> dict[str, tuple[float, float]]:
    return attribute(journeys(PATHS, CONV, VALUE, NULLS), model, **kw).by_channel()


def test_first_touch_gives_everything_to_the_touch_that_opened_the_journey():
    # journey 1 opened by email ($1,000), journey 2 by search ($500); journey 3 never converted
    assert credit("first_touch") == {"email": (1.0, 1000.0), "search": (1.0, 500.0), "webinar": (0.0, 0.0)}


def test_last_touch_gives_everything_to_the_touch_before_the_conversion():
    # journey 1 ends on search, journey 2 is only search
    assert credit("last_touch") == {"email": (0.0, 0.0), "search": (2.0, 1500.0), "webinar": (0.0, 0.0)}


def test_linear_counts_every_touch_repeats_included():
    # journey 1: four touches, 1/4 each: email 1/4, search 2/4 (touched twice), webinar 1/4
    # journey 2: search 1
    got = credit("linear")
    assert got["email"] == pytest.approx((0.25, 250.0))
    assert got["search"] == pytest.approx((0.5 + 1.0, 500.0 + 500.0))
    assert got["webinar"] == pytest.approx((0.25, 250.0))


def test_u_shaped_is_40_20_40():
    # journey 1: first (email) 40%, last (search) 40%, the two between share 20%: search 10%, webinar 10%
    # journey 2: one touch, 100%
    got = credit("u_shaped")
    assert got["email"] == pytest.approx((0.40, 400.0))
    assert got["search"] == pytest.approx((0.40 + 0.10 + 1.0, 400.0 + 100.0 + 500.0))
    assert got["webinar"] == pytest.approx((0.10, 100.0))


def test_u_shaped_with_two_touches_splits_evenly():
    # no middle to take the 20%: 50/50
    got = attribute(journeys(["email > search"], [1], [800.0]), "u_shaped").by_channel()
    assert got == {"email": pytest.approx((0.5, 400.0)), "search": pytest.approx((0.5, 400.0))}


def test_w_shaped_with_milestones_from_the_store():
    # email > search > webinar > search > event; the lead was created by the webinar (3rd touch),
    # the opportunity by the second search (4th): first 30%, lead 30%, opportunity 30%, and the
    # two other touches (search 2nd, event 5th) share 10%
    j = journeys(["email > search > webinar > search > event"], [1], [1000.0],
                 lead_created=[0, 0, 1, 0, 0], opportunity_created=[0, 0, 0, 1, 0])
    got = attribute(j, "w_shaped").by_channel()
    assert got["email"] == pytest.approx((0.30, 300.0))
    assert got["webinar"] == pytest.approx((0.30, 300.0))
    assert got["search"] == pytest.approx((0.05 + 0.30, 50.0 + 300.0))
    assert got["event"] == pytest.approx((0.05, 50.0))


def test_w_shaped_milestones_on_the_same_touch_add_up():
    # the lead was created by the first touch: 30% + 30% there; opportunity on the last: 30%;
    # the two between share 10%
    j = journeys(["email > search > webinar > event"], [1], [100.0],
                 lead_created=[1, 0, 0, 0], opportunity_created=[0, 0, 0, 1])
    w = touch_weights(j, "w_shaped")
    assert w.tolist() == pytest.approx([0.60, 0.05, 0.05, 0.30])


def test_w_shaped_without_markers_reads_first_as_lead_and_last_as_opportunity():
    # a paths file: first touch 30 + 30 (lead), last touch 30 (opportunity), 10 shared by the middle
    # journey 1: email 60%, search(2nd) 5%, webinar 5%, search(4th) 30% -> search 35%
    got = credit("w_shaped")
    assert got["email"] == pytest.approx((0.60, 600.0))
    assert got["webinar"] == pytest.approx((0.05, 50.0))
    assert got["search"] == pytest.approx((0.35 + 1.0, 350.0 + 500.0))


def test_w_shaped_with_nothing_left_to_share_the_ten_percent_scales_the_milestones():
    # two touches, no markers: first 30 + 30, last 30 -> 60:30 -> 2/3, 1/3
    w = touch_weights(journeys(["email > search"], [1]), "w_shaped")
    assert w.tolist() == pytest.approx([2 / 3, 1 / 3])
    # three touches, each one milestone: a third each
    j = journeys(["email > search > webinar"], [1], lead_created=[0, 1, 0], opportunity_created=[0, 0, 1])
    assert touch_weights(j, "w_shaped").tolist() == pytest.approx([1 / 3, 1 / 3, 1 / 3])


def test_time_decay_halves_a_touch_per_half_life():
    # touches 14, 7 and 0 days before the conversion, half-life 7: weights 1/4, 1/2, 1 -> /1.75
    j = journeys(["email > search > webinar"], [1], [700.0], days_before=[14.0, 7.0, 0.0])
    got = attribute(j, "time_decay").by_channel()
    assert got["email"] == pytest.approx((0.25 / 1.75, 100.0))
    assert got["search"] == pytest.approx((0.5 / 1.75, 200.0))
    assert got["webinar"] == pytest.approx((1 / 1.75, 400.0))
    # a 14-day half-life: 1/2, 1/sqrt(2), 1
    w = touch_weights(j, "time_decay", half_life_days=14.0)
    total = 0.5 + 2 ** -0.5 + 1
    assert w.tolist() == pytest.approx([0.5 / total, 2 ** -0.5 / total, 1 / total])


def test_time_decay_without_timestamps_counts_a_day_a_step():
    # a paths file: steps 1 and 0 days back; half-life 1 day: 1/2 and 1 -> 1/3, 2/3
    w = touch_weights(journeys(["email > search"], [1]), "time_decay", half_life_days=1.0)
    assert w.tolist() == pytest.approx([1 / 3, 2 / 3])


def test_time_decay_of_a_journey_years_long_does_not_vanish():
    # 2^(-3650/7) underflows; the weights are taken relative to the latest touch
    j = journeys(["email > search"], [1], days_before=[7300.0, 3650.0])
    assert touch_weights(j, "time_decay").tolist() == pytest.approx([0.0, 1.0])
    assert touch_weights(j, "time_decay").sum() == pytest.approx(1.0)


@pytest.mark.parametrize("model", ["first_touch", "last_touch", "linear", "u_shaped", "w_shaped", "time_decay"])
def test_every_rule_shares_out_exactly_the_conversions_and_value(model):
    got = credit(model)
    assert sum(c for c, _ in got.values()) == pytest.approx(2.0)
    assert sum(v for _, v in got.values()) == pytest.approx(1500.0)


def test_an_unknown_model_says_which_exist():
    with pytest.raises(AttributionError, match="markov"):
        attribute(journeys(PATHS, CONV), "position_based")


def test_a_half_life_must_be_positive():
    with pytest.raises(AttributionError, match="half-life"):
        attribute(journeys(PATHS, CONV), "time_decay", half_life_days=0)

"""The attribution engine: which channels and campaigns the company's conversions came from.

    journeys.py    journeys as flat arrays (one layout for stored touches and paths files)
    touches.py     journeys from the store: touches tied to the opportunity, pipeline or win they led to
    paths_file.py  aggregated journeys from a ChannelAttribution paths file, bad lines as FILE:LINE
    rule_based.py  first touch, last touch, linear, U-shaped, W-shaped, time decay
    markov.py      the removal effect of each channel, solved exactly on the absorbing chain
    shapley.py     Shapley values of channels over the coalitions observed in the journeys
    credit.py      attribute(journeys, model): conversions and value per channel, any model
    report.py      rows for people: credit with cost, cost per conversion and ROI

    from revops.engines import attribution
    stored = attribution.load_journeys(store.ibis, model, attribution.JourneyRequest(conversion="revenue"))
    attribution.rows(attribution.attribute(stored.journeys, "markov"), stored)
    attribution.attribute(attribution.read_paths("paths.csv"), "shapley").by_channel()

Every model shares out the same conversions and value: the columns add up to the journeys'
totals whatever the model. Definitions, edge cases and the math: docs/attribution.md.
"""

from __future__ import annotations

from revops.engines.attribution.credit import DATA_DRIVEN, MODELS, ChannelCredit, attribute
from revops.engines.attribution.journeys import Journeys, from_names
from revops.errors import AttributionError
from revops.engines.attribution.paths_file import HEADER, read_paths
from revops.engines.attribution.report import rows
from revops.engines.attribution.rule_based import DEFAULT_HALF_LIFE_DAYS, RULES
from revops.engines.attribution.touches import (CONVERSIONS, GROUPINGS, JourneyRequest, StoredJourneys,
                                                load_journeys)

__all__ = ["CONVERSIONS", "DATA_DRIVEN", "DEFAULT_HALF_LIFE_DAYS", "GROUPINGS", "HEADER", "MODELS", "RULES",
           "AttributionError", "ChannelCredit", "JourneyRequest", "Journeys", "StoredJourneys", "attribute",
           "from_names", "load_journeys", "read_paths", "rows"]

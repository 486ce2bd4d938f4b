"""The routing graph's diagram: layers by distance from the start, an arrow per branch."""

from __future__ import annotations

from revops.dashboard.graph import edges_of, layers, routing_svg
from revops.model import load_model


def test_nodes_are_layered_by_breadth_first_distance_from_the_start_and_the_ends_go_last():
    nodes = load_model(None).routing.nodes
    edges = edges_of(nodes)
    depth = layers(nodes, edges)
    start = next(n.key for n in nodes if n.type == "start")
    ends = {n.key for n in nodes if not any(a == n.key for a, _, _ in edges)}
    assert depth[start] == 0
    assert ends and {depth[e] for e in ends} == {max(depth.values())}
    for a, b, _ in edges:
        if b not in ends:
            assert depth[b] <= depth[a] + 1  # a branch never skips a layer it could have reached


def test_a_condition_has_a_yes_and_a_no_arrow():
    nodes = load_model(None).routing.nodes
    edges = edges_of(nodes)
    condition = next(n for n in nodes if n.type == "condition")
    assert {(b, label) for a, b, label in edges if a == condition.key} == {(condition.then, "yes"),
                                                                           (condition.else_, "no")}


def test_the_svg_has_a_box_per_node_and_a_path_per_branch():
    nodes = load_model(None).routing.nodes
    svg = routing_svg(nodes)
    assert svg.count("<g class=\"node\"") == len(nodes)
    assert svg.count("class=\"edge\"") == len(edges_of(nodes))

"""Kinds of change and their one-line summaries, over the real changes of the small captures."""

from __future__ import annotations

import copy
import itertools
import json
from dataclasses import replace
from decimal import ROUND_HALF_UP, Decimal

import pytest
from click.testing import CliRunner

from archiver.cli import main
from archiver.history.kinds import Kind, describe, describe_change, importance, model_name
from archiver.history.versions import Change, changes
from tests.small_captures import SyncedArchive


@pytest.fixture(scope="module")
def every_change(v1_then_daily_archive: SyncedArchive) -> list[Change]:
    """Return every change of the archive synced from all the small captures."""
    return [change for group in changes(v1_then_daily_archive.path) for change in group.changes]


def _dollars(per_token: str) -> str:
    """Return a per-token price as exact dollars per million tokens, at least two decimals."""
    text = str(Decimal(per_token) * 1_000_000)
    whole, _, decimals = text.partition(".")
    decimals = decimals.rstrip("0")
    return f"${int(whole):,}.{decimals.ljust(2, '0')}"


def test_every_real_change_gets_a_named_kind(every_change: list[Change]) -> None:
    assert len(every_change) > 500
    unnamed = {}
    for change in every_change:
        described = describe_change(change)
        assert described.details, change.key
        for detail in described.details:
            if detail.kind is Kind.OTHER:
                unnamed[change.key] = detail.text
    assert unnamed == {}


def test_a_price_cut_reads_with_exact_decimals_and_its_percent(every_change: list[Change]) -> None:
    moved = [
        c
        for c in every_change
        if c.category == "endpoint"
        and c.before
        and c.after
        and c.before["pricing"]["prompt"] != c.after["pricing"]["prompt"]
        and Decimal(c.before["pricing"]["prompt"]) > 0
    ]
    assert moved
    for change in moved:
        assert change.before is not None and change.after is not None
        old, new = change.before["pricing"]["prompt"], change.after["pricing"]["prompt"]
        share = (Decimal(new) - Decimal(old)) / Decimal(old) * 100
        sign = "+" if share > 0 else ""
        rounded = share.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        expected = f"input {_dollars(old)} -> {_dollars(new)} per M tokens, {sign}{rounded}%"
        described = describe_change(change)
        assert Kind.PRICE in described.kinds
        assert expected in [detail.text for detail in described.details]
        model, provider = change.after["model"], change.after["provider_display_name"]
        assert described.summary.startswith(f"{model} on {provider}")
        assert "e-" not in described.summary and "000000" not in described.summary


def test_the_old_price_classes_are_all_price_kinds(every_change: list[Change]) -> None:
    for change in every_change:
        if {"price_up", "price_down"} & set(change.kinds):
            assert Kind.PRICE in describe_change(change).kinds, change.key
        if {"added", "removed", "returned"} & set(change.kinds):
            lifecycle = {Kind.ADDED, Kind.REMOVED, Kind.RETURNED}
            assert lifecycle & set(describe_change(change).kinds), change.key


def test_cli_orders_each_sync_by_importance_then_price_move(
    v1_then_daily_archive: SyncedArchive,
) -> None:
    result = CliRunner().invoke(
        main, ["changes", "--repo", str(v1_then_daily_archive.path), "--json"]
    )
    assert result.exit_code == 0, result.output
    order = [kind.value for kind in Kind]
    saw_price_sync = False
    for sync in json.loads(result.output):
        ranks = [order.index(change["kinds"][0]) for change in sync["changes"]]
        assert ranks == sorted(ranks)
        # Price-first changes: the biggest move first, by the old classifier's own percents.
        moves = [
            max(
                (abs(p["percent"]) for p in change["prices"] if p["percent"] is not None), default=0
            )
            for change in sync["changes"]
            if change["kinds"][0] == "price" and change["prices"]
        ]
        saw_price_sync |= len(moves) > 1
        assert all(a >= b - 1e-9 for a, b in itertools.pairwise(moves)), moves
    assert saw_price_sync


def test_cli_kind_filter_keeps_only_that_kind(v1_then_daily_archive: SyncedArchive) -> None:
    repo = str(v1_then_daily_archive.path)
    result = CliRunner().invoke(main, ["changes", "--repo", repo, "--kind", "price", "--json"])
    assert result.exit_code == 0, result.output
    kept = [change for sync in json.loads(result.output) for change in sync["changes"]]
    priced = [
        change
        for group in changes(repo)
        for change in group.changes
        if {"price_up", "price_down"} & set(change.kinds)
    ]
    assert kept and all("price" in change["kinds"] for change in kept)
    assert {c.key for c in priced} <= {change["key"] for change in kept}
    text = CliRunner().invoke(main, ["changes", "--repo", repo, "--kind", "status"]).output
    assert text and all(" status" in line for line in text.splitlines() if line.startswith("  "))


def test_an_unknown_or_new_field_is_shown_and_never_crashes(every_change: list[Change]) -> None:
    change = next(c for c in every_change if c.category == "endpoint" and c.after)
    assert change.after is not None
    before = copy.deepcopy(change.after)
    after = copy.deepcopy(change.after)
    after["brand_new_thing"] = {"deep": [1, 2]}
    after["zdr"] = True
    before["data_policy"]["retentionDays"] = 30
    after["data_policy"]["retentionDays"] = 0
    after["is_disabled"] = True
    found = describe("endpoint", change.key, before, after)
    texts = {detail.kind: detail.text for detail in found.details}
    assert found.kinds[0] is Kind.STATUS and texts[Kind.STATUS] == "disabled"
    assert Kind.DATA_POLICY in texts and Kind.OTHER in texts
    assert "prompt retention 30 -> 0 days" in [d.text for d in found.details]
    renamed = copy.deepcopy(before)
    renamed["provider_display_name"] = "Someone Else"
    assert importance(found) < importance(describe("endpoint", change.key, before, renamed))


def test_a_change_from_history_reads_as_its_two_versions_compared_afresh(
    every_change: list[Change],
) -> None:
    # describe_change reuses the leaves history compared; describe compares them again:
    # the site, the change JSON and notify must read the same whichever they use.
    models = [c for c in every_change if c.category == "model"]
    names = {c.key: f"{model_name(c.after or c.before, c.key)} (renamed)" for c in models}
    both_sides = [c for c in every_change if c.before is not None and c.after is not None]
    assert both_sides and all(c.changed is not None for c in both_sides)
    for change in every_change:
        afresh = describe_change(replace(change, changed=None), names)
        assert describe_change(change, names) == afresh, change.key
    assert models and all(describe_change(c, names).subject.endswith(" (renamed)") for c in models)

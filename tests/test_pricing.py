"""Dated prices, family matching, never-free unknown models and the budget cap."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from persona.core.errors import BudgetExceeded, InputError
from persona.hybrid.cloud import DEFAULT_MODELS
from persona.hybrid.pricing import (
    DEFAULT_PRICES,
    PRICES_AS_OF,
    Budget,
    Cost,
    Price,
    PriceTable,
    cost,
    normalize_model_id,
    price_for,
)


@pytest.mark.parametrize(
    ("model", "normalized"),
    [
        ("claude-sonnet-4-5", "claude-sonnet-4-5"),
        ("claude-sonnet-4-5-20250929", "claude-sonnet-4-5"),
        ("Claude-Haiku-4-5-20251001", "claude-haiku-4-5"),
        ("anthropic.claude-haiku-4-5-20251001-v1:0", "claude-haiku-4-5"),
        ("us.anthropic.claude-opus-4-1-20250805-v1:0", "claude-opus-4-1"),
        ("claude-opus-4-1@20250805", "claude-opus-4-1"),
        ("claude-opus-4-20250514", "claude-opus-4"),
        ("  claude-opus-4-6 ", "claude-opus-4-6"),
    ],
)
def test_model_ids_reduce_to_their_alias(model: str, normalized: str) -> None:
    assert normalize_model_id(model) == normalized


@pytest.mark.parametrize(
    ("model", "prices", "basis"),
    [
        ("claude-sonnet-4-5", (3.0, 15.0), "claude-sonnet-4-5"),
        ("claude-sonnet-4-5-20250929", (3.0, 15.0), "claude-sonnet-4-5"),
        ("claude-sonnet-4-6", (3.0, 15.0), "claude-sonnet-4-6"),
        ("claude-sonnet-4-20250514", (3.0, 15.0), "claude-sonnet-4"),
        ("claude-opus-4-6", (5.0, 25.0), "claude-opus-4-6"),
        ("claude-opus-4-5-20251101", (5.0, 25.0), "claude-opus-4-5"),
        ("claude-opus-4-1-20250805", (15.0, 75.0), "claude-opus-4-1"),
        ("claude-opus-4-1@20250805", (15.0, 75.0), "claude-opus-4-1"),
        ("claude-haiku-4-5-20251001", (1.0, 5.0), "claude-haiku-4-5"),
        ("anthropic.claude-haiku-4-5-20251001-v1:0", (1.0, 5.0), "claude-haiku-4-5"),
    ],
)
def test_known_models_get_their_dated_price(
    model: str, prices: tuple[float, float], basis: str
) -> None:
    price = price_for(model)

    assert (price.input_per_mtok, price.output_per_mtok) == prices
    assert (price.as_of, price.assumed, price.basis) == (PRICES_AS_OF, False, basis)


@pytest.mark.parametrize(
    ("model", "prices", "basis"),
    [
        ("claude-sonnet-5", (3.0, 15.0), "claude-sonnet-4-6"),
        ("claude-haiku-5-5", (1.0, 5.0), "claude-haiku-4-5"),
        ("claude-opus-4-8", (15.0, 75.0), "claude-opus-4-1"),
        ("claude-fable-5", (15.0, 75.0), "claude-opus-4-1"),
        ("gpt-4o", (15.0, 75.0), "claude-opus-4-1"),
        ("", (15.0, 75.0), "claude-opus-4-1"),
    ],
)
def test_unknown_models_are_never_free(model: str, prices: tuple[float, float], basis: str) -> None:
    price = price_for(model)

    assert (price.input_per_mtok, price.output_per_mtok) == prices
    assert price.assumed and price.basis == basis
    charged = cost(model, 1000, 1000)
    assert charged.usd > 0 and charged.assumed


def test_every_default_model_has_a_real_price() -> None:
    for model in DEFAULT_MODELS:
        price = price_for(model)
        assert not price.assumed and price.input_per_mtok > 0 and price.output_per_mtok > 0


@pytest.mark.parametrize(
    ("model", "tokens", "usd"),
    [
        ("claude-sonnet-4-5", (1_000_000, 1_000_000), 18.0),
        ("claude-sonnet-4-5", (1000, 500), 0.0105),
        ("claude-haiku-4-5", (2000, 0), 0.002),
        ("claude-opus-4-1", (0, 1000), 0.075),
        ("claude-opus-4-5", (0, 0), 0.0),
    ],
)
def test_cost_is_tokens_times_price(model: str, tokens: tuple[int, int], usd: float) -> None:
    charged = cost(model, *tokens)

    assert charged.usd == pytest.approx(usd)
    assert (charged.input_tokens, charged.output_tokens) == tokens
    assert charged.price == price_for(model)


def write(path: Path, data: Any) -> Path:
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


def test_a_price_file_from_the_environment_overrides_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    file = write(
        tmp_path / "prices.json",
        {
            "claude-sonnet-4-5": {"input_per_mtok": 2.5, "output_per_mtok": 12, "as_of": "2027-01"},
            "claude-sonnet-7": {"input_per_mtok": 4, "output_per_mtok": 20},
        },
    )
    monkeypatch.setenv("PERSONA_PRICES_FILE", str(file))

    assert price_for("claude-sonnet-4-5-20250929") == Price(
        2.5, 12.0, "2027-01", basis="claude-sonnet-4-5"
    )
    assert price_for("claude-sonnet-7").as_of == "unknown date"
    assert price_for("claude-sonnet-9").basis == "claude-sonnet-7"
    assert price_for("claude-haiku-4-5").input_per_mtok == 1.0


def test_arguments_override_the_file(tmp_path: Path) -> None:
    file = write(
        tmp_path / "p.json", {"claude-haiku-4-5": {"input_per_mtok": 2, "output_per_mtok": 6}}
    )

    table = PriceTable.load(
        file,
        overrides={
            "claude-haiku-4-5": {"input_per_mtok": 0.5, "output_per_mtok": 2.5},
            "claude-opus-4-6": Price(4.0, 20.0, "2027-02-01"),
        },
    )

    assert table.price_for("claude-haiku-4-5").output_per_mtok == 2.5
    assert table.price_for("claude-opus-4-6").as_of == "2027-02-01"
    assert table.cost("claude-haiku-4-5", 1_000_000, 0).usd == 0.5


@pytest.mark.parametrize(
    ("contents", "problem"),
    [
        ("{not json", "not valid"),
        ([1, 2], "expected an object"),
        ({"claude-x": 3}, "must be an object"),
        ({"claude-x": {"input_per_mtok": 1}}, "output_per_mtok"),
        ({"claude-x": {"input_per_mtok": -1, "output_per_mtok": 1}}, "input_per_mtok"),
        ({"claude-x": {"input_per_mtok": "3", "output_per_mtok": 1}}, "input_per_mtok"),
        ({"claude-x": {"input_per_mtok": True, "output_per_mtok": 1}}, "input_per_mtok"),
        ({"claude-x": {"input_per_mtok": 1, "output_per_mtok": 1, "as_of": 2026}}, "as_of"),
    ],
)
def test_a_bad_price_file_is_an_input_error_naming_it(
    tmp_path: Path, contents: Any, problem: str
) -> None:
    file = write(tmp_path / "bad.json", contents)

    with pytest.raises(InputError, match=problem) as caught:
        PriceTable.load(file)
    assert str(file) in str(caught.value)


def test_a_missing_price_file_says_how_to_fix_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PERSONA_PRICES_FILE", str(tmp_path / "absent.json"))

    with pytest.raises(InputError, match="PERSONA_PRICES_FILE"):
        price_for("claude-sonnet-4-5")


def test_saved_prices_load_back(tmp_path: Path) -> None:
    table = PriceTable.load(overrides={"claude-sonnet-4-5": Price(2.0, 10.0, "2027-03-01")})

    table.save(tmp_path / "saved.json")
    loaded = PriceTable.load(tmp_path / "saved.json")

    assert loaded.prices == table.prices
    assert set(loaded.prices) == set(DEFAULT_PRICES)


def test_an_empty_table_is_refused() -> None:
    with pytest.raises(InputError, match="empty"):
        PriceTable({})


# --- Budget -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cap", "spent", "estimate", "affordable"),
    [
        (1.0, 0.0, 0.5, True),
        (1.0, 0.5, 0.5, True),
        (1.0, 0.5, 0.5001, False),
        (0.0, 0.0, 0.0001, False),
        (0.0, 0.0, 0.0, True),
        (None, 1000.0, 1e6, True),
    ],
)
def test_can_afford_compares_against_what_is_left(
    cap: float | None, spent: float, estimate: float, affordable: bool
) -> None:
    assert Budget(cap, spent).can_afford(estimate) is affordable


def test_charge_adds_until_the_cap_then_refuses_without_charging() -> None:
    budget = Budget(0.10)
    call = cost("claude-sonnet-4-5", 10_000, 1000)  # $0.045

    budget.charge(call)
    budget.charge(call)
    with pytest.raises(BudgetExceeded) as caught:
        budget.charge(call)

    assert budget.spent == pytest.approx(0.09)
    assert budget.remaining == pytest.approx(0.01)
    message = str(caught.value)
    for part in ("$0.0450", "$0.0100", "$0.10 budget", "$0.0900 spent", "Raise the budget"):
        assert part in message


def test_a_refusal_mentions_an_assumed_price() -> None:
    with pytest.raises(BudgetExceeded, match="price unknown, assumed the highest"):
        Budget(0.01).charge(cost("claude-mystery-1", 10_000, 10_000))


@pytest.mark.parametrize(
    ("estimate", "actual", "spent"), [(0.05, 0.02, 0.02), (0.05, 0.05, 0.05), (0.05, 0.07, 0.07)]
)
def test_settle_replaces_the_estimate_by_the_actual_cost(
    estimate: float, actual: float, spent: float
) -> None:
    budget = Budget(0.06)
    budget.charge(estimate)

    budget.settle(estimate, actual)

    assert budget.spent == pytest.approx(spent)


def test_settle_accepts_costs() -> None:
    budget = Budget(None)
    estimate = cost("claude-haiku-4-5", 1000, 4096)
    actual = cost("claude-haiku-4-5", 1000, 300)
    budget.charge(estimate)

    budget.settle(estimate, actual)

    assert budget.spent == pytest.approx(actual.usd) and budget.remaining is None
    assert isinstance(actual, Cost) and not actual.assumed


def test_a_negative_cap_is_refused() -> None:
    with pytest.raises(InputError, match="0 USD or more"):
        Budget(-1)


def test_the_meter_bounds_output_by_what_is_left_and_charges_the_worst_case() -> None:
    from persona.core.errors import BudgetExceeded
    from persona.hybrid.pricing import BilledTokens, Meter, Price

    price = Price(3.0, 15.0)
    budget = Budget(0.10)
    meter = Meter(budget, price, minimum_output=500)
    allowed = meter.open(10_000, 4096)
    worst = price.cost_usd(10_200, allowed)
    assert allowed == 4096 and budget.spent == pytest.approx(worst)
    meter.close(BilledTokens(10_000, 1_000))
    assert budget.spent == pytest.approx(price.cost_usd(10_000, 1_000))
    left = 0.10 - budget.spent
    allowed = meter.open(2_000, 4096)
    assert allowed < 4096 and budget.spent <= 0.10
    assert price.cost_usd(2_040, allowed) <= left
    meter.close(None)  # outcome unknown: the worst case stays charged
    assert meter.uncertain_usd > 0 and budget.spent <= 0.10
    with pytest.raises(BudgetExceeded, match="Raise the budget cap"):
        meter.open(2_000, 4096)
    assert meter.spent_usd == pytest.approx(budget.spent)


def test_an_uncapped_meter_allows_the_full_length() -> None:
    from persona.hybrid.pricing import Meter, Price

    assert Meter(Budget(None), Price(3.0, 15.0)).open(1_000, 4096) == 4096

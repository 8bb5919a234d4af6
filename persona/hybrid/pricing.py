"""Claude prices as dated, editable settings, and a hard spending cap for the hybrid step.

Prices change: the defaults carry the date they were checked, a JSON file
(``PERSONA_PRICES_FILE``) or arguments override them, and an unknown model is
never free: it gets the most expensive known price, flagged ``assumed``.

Prompt caching is billed as Anthropic bills it: tokens written to the 5-minute cache at
1.25× the input price, tokens read from it at 0.1× (:data:`CACHE_WRITE`, :data:`CACHE_READ`).

A :class:`Budget` is the cap; a :class:`Meter` makes it hard: before each call it limits the
call's ``max_tokens`` to what the remaining budget can pay and charges the worst case (input
tokens, the cacheable ones as cache writes, plus ``max_tokens`` at the output price), then
settles the charge with the usage billed, or keeps it when the outcome is unknown (the
connection dropped, the user stopped).
"""

from __future__ import annotations

import json
import math
import os
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from persona.core.errors import BudgetExceeded, InputError

PRICES_AS_OF = "2026-11-01"
PRICES_FILE_ENV = "PERSONA_PRICES_FILE"
_MTOK = 1_000_000
CACHE_WRITE = 1.25
"""Tokens written to the 5-minute prompt cache cost this times the input price."""
CACHE_READ = 0.1
"""Tokens read from the prompt cache cost this times the input price."""


@dataclass(frozen=True)
class Price:
    """USD per million tokens, the date it was checked, and how it was chosen."""

    input_per_mtok: float
    output_per_mtok: float
    as_of: str = PRICES_AS_OF
    assumed: bool = False
    """True when the model was not in the table and this price is a guess."""
    basis: str = ""
    """The table entry this price comes from."""

    def cost_usd(
        self, input_tokens: int, output_tokens: int, cache_write: int = 0, cache_read: int = 0
    ) -> float:
        """What this many tokens cost at this price: ``input_tokens`` not cached, and
        ``cache_write`` / ``cache_read`` input tokens written to / read from the cache."""
        cached = cache_write * CACHE_WRITE + cache_read * CACHE_READ
        return (
            (input_tokens + cached) * self.input_per_mtok + output_tokens * self.output_per_mtok
        ) / _MTOK


def _p(input_per_mtok: float, output_per_mtok: float) -> Price:
    return Price(input_per_mtok, output_per_mtok, PRICES_AS_OF)


DEFAULT_PRICES: dict[str, Price] = {
    "claude-opus-4-6": _p(5.0, 25.0),
    "claude-opus-4-5": _p(5.0, 25.0),
    "claude-opus-4-1": _p(15.0, 75.0),
    "claude-opus-4-0": _p(15.0, 75.0),
    "claude-opus-4": _p(15.0, 75.0),
    "claude-sonnet-4-6": _p(3.0, 15.0),
    "claude-sonnet-4-5": _p(3.0, 15.0),
    "claude-sonnet-4-0": _p(3.0, 15.0),
    "claude-sonnet-4": _p(3.0, 15.0),
    "claude-haiku-4-5": _p(1.0, 5.0),
}
"""Public list prices (standard tier, no caching) keyed by model id without a date suffix."""


@dataclass(frozen=True)
class BilledTokens:
    """Tokens billed for one or more calls, as the response's ``usage`` reports them:
    ``input_tokens`` are the ones not read from or written to the cache."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_write_tokens: int = 0
    """``cache_creation_input_tokens``: written to the cache (1.25× the input price)."""
    cache_read_tokens: int = 0
    """``cache_read_input_tokens``: read from the cache (0.1× the input price)."""

    def __add__(self, other: BilledTokens) -> BilledTokens:
        return BilledTokens(
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.cache_write_tokens + other.cache_write_tokens,
            self.cache_read_tokens + other.cache_read_tokens,
        )

    @property
    def all_input(self) -> int:
        """Every input token, cached or not."""
        return self.input_tokens + self.cache_write_tokens + self.cache_read_tokens

    def cost_usd(self, price: Price) -> float:
        """What these tokens cost at ``price``."""
        return price.cost_usd(
            self.input_tokens, self.output_tokens, self.cache_write_tokens, self.cache_read_tokens
        )


@dataclass(frozen=True)
class Cost:
    """The price of one call (``input_tokens`` excludes the cached ones)."""

    usd: float
    price: Price
    input_tokens: int
    output_tokens: int
    cache_write_tokens: int = 0
    cache_read_tokens: int = 0

    @property
    def assumed(self) -> bool:
        return self.price.assumed


def normalize_model_id(model: str) -> str:
    """``claude-…`` without provider prefixes or a snapshot date: the key prices are stored under.

    ``anthropic.claude-sonnet-4-5-20250929-v1:0`` and ``claude-opus-4-1@20250805`` both reduce
    to their alias.
    """
    name = model.strip().lower()
    start = name.find("claude-")
    if start > 0:
        name = name[start:]
    name = name.split("@", 1)[0]
    return re.sub(r"-\d{8}.*$", "", name)


def _family(name: str) -> str:
    words = [w for w in name.split("-") if w.isalpha() and w != "claude"]
    return words[0] if words else ""


def _dearest(prices: Mapping[str, Price]) -> tuple[str, Price]:
    return max(prices.items(), key=lambda kv: (kv[1].output_per_mtok, kv[1].input_per_mtok))


class PriceTable:
    """Prices by model id, matched on the model's family when the exact id is unknown."""

    def __init__(self, prices: Mapping[str, Price] | None = None) -> None:
        table = dict(DEFAULT_PRICES if prices is None else prices)
        if not table:
            raise InputError("The price table is empty: keep at least one model's price.")
        self._prices = {normalize_model_id(k): v for k, v in table.items()}

    @classmethod
    def load(
        cls,
        path: str | Path | None = None,
        overrides: Mapping[str, Price | Mapping[str, Any]] | None = None,
    ) -> PriceTable:
        """Defaults, then a JSON file (``path``, else ``PERSONA_PRICES_FILE``), then overrides."""
        prices = dict(DEFAULT_PRICES)
        file = path if path is not None else os.environ.get(PRICES_FILE_ENV, "").strip()
        if file:
            prices.update(read_prices(Path(file).expanduser()))
        for model, value in (overrides or {}).items():
            prices[model] = value if isinstance(value, Price) else _parse_price(model, value)
        return cls(prices)

    @property
    def prices(self) -> dict[str, Price]:
        """A copy of the table, for display and editing."""
        return dict(self._prices)

    def price_for(self, model: str) -> Price:
        """The model's price; an unknown model gets the dearest price (of its family if known)."""
        name = normalize_model_id(model)
        if name in self._prices:
            return replace(self._prices[name], basis=name)
        family = _family(name)
        kin = {k: v for k, v in self._prices.items() if family and _family(k) == family}
        basis, price = _dearest(kin or self._prices)
        return replace(price, assumed=True, basis=basis)

    def cost(
        self,
        model: str,
        input_tokens: int,
        output_tokens: int,
        cache_write: int = 0,
        cache_read: int = 0,
    ) -> Cost:
        """What a call with these token counts costs on ``model`` (see :meth:`Price.cost_usd`)."""
        price = self.price_for(model)
        usd = price.cost_usd(input_tokens, output_tokens, cache_write, cache_read)
        return Cost(usd, price, input_tokens, output_tokens, cache_write, cache_read)

    def save(self, path: str | Path) -> None:
        """Write the table as JSON in the format :func:`read_prices` reads."""
        data = {
            model: {
                "input_per_mtok": p.input_per_mtok,
                "output_per_mtok": p.output_per_mtok,
                "as_of": p.as_of,
            }
            for model, p in self._prices.items()
        }
        Path(path).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


_EXAMPLE = (
    '{"claude-sonnet-4-5": {"input_per_mtok": 3, "output_per_mtok": 15, "as_of": "2026-11-01"}}'
)


def _parse_price(model: str, value: object) -> Price:
    if not isinstance(value, Mapping):
        raise ValueError(f"the entry for '{model}' must be an object like {_EXAMPLE}")
    numbers = []
    for field in ("input_per_mtok", "output_per_mtok"):
        number = value.get(field)
        if isinstance(number, bool) or not isinstance(number, int | float) or number < 0:
            raise ValueError(f"'{model}' needs {field} as a number of USD ≥ 0")
        numbers.append(float(number))
    as_of = value.get("as_of", "unknown date")
    if not isinstance(as_of, str):
        raise ValueError(f"'{model}' has an as_of that is not a date string")
    return Price(numbers[0], numbers[1], as_of)


def read_prices(path: Path) -> dict[str, Price]:
    """Prices from a JSON file shaped like ``{model: {input_per_mtok, output_per_mtok, as_of}}``."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise ValueError(f"expected an object like {_EXAMPLE}")
        return {str(model): _parse_price(str(model), value) for model, value in data.items()}
    except OSError as exc:
        raise InputError(
            f"Cannot read the price file {path} ({exc.strerror}). Fix {PRICES_FILE_ENV} or "
            "remove it to use the built-in prices."
        ) from exc
    except ValueError as exc:
        raise InputError(f"The price file {path} is not valid: {exc}.") from exc


def price_for(model: str, table: PriceTable | None = None) -> Price:
    """``model``'s price from ``table`` (default: built-ins plus ``PERSONA_PRICES_FILE``)."""
    return (table or PriceTable.load()).price_for(model)


def cost(
    model: str, input_tokens: int, output_tokens: int, table: PriceTable | None = None
) -> Cost:
    """What a call costs on ``model`` (see :func:`price_for`)."""
    return (table or PriceTable.load()).cost(model, input_tokens, output_tokens)


def _usd(amount: Cost | float) -> float:
    return amount.usd if isinstance(amount, Cost) else float(amount)


class Budget:
    """A USD cap on what the hybrid step may spend; ``None`` means no cap.

    Before a call, :meth:`charge` the worst-case estimate (it raises
    :class:`BudgetExceeded` if that would cross the cap); afterwards :meth:`settle`
    replaces the estimate by the actual cost.
    """

    def __init__(self, cap_usd: float | None, spent: float = 0.0) -> None:
        if cap_usd is not None and cap_usd < 0:
            raise InputError(f"The budget must be 0 USD or more, not {cap_usd}.")
        self.cap_usd = cap_usd
        self.spent = spent
        self._lock = threading.Lock()

    @property
    def remaining(self) -> float | None:
        return None if self.cap_usd is None else max(self.cap_usd - self.spent, 0.0)

    def can_afford(self, estimated: Cost | float) -> bool:
        """Whether spending ``estimated`` keeps the total within the cap."""
        return self.cap_usd is None or self.spent + _usd(estimated) <= self.cap_usd + 1e-12

    def charge(self, amount: Cost | float) -> None:
        """Add ``amount`` to what was spent, or raise :class:`BudgetExceeded` and add nothing."""
        with self._lock:
            if not self.can_afford(amount):
                raise BudgetExceeded(self._refusal(amount))
            self.spent += _usd(amount)

    def settle(self, charged: Cost | float, actual: Cost | float) -> None:
        """Replace an earlier charge by the actual cost (which was spent, so it never raises)."""
        with self._lock:
            self.spent = max(self.spent - _usd(charged) + _usd(actual), 0.0)

    def _refusal(self, amount: Cost | float) -> str:
        guess = ""
        if isinstance(amount, Cost) and amount.assumed:
            guess = f" (price unknown, assumed the highest: {amount.price.basis})"
        return (
            f"This Claude call could cost up to ${_usd(amount):.4f}{guess}, but only "
            f"${self.remaining or 0.0:.4f} of your ${self.cap_usd:.2f} budget is left "
            f"(${self.spent:.4f} spent). Raise the budget cap (on the Hybrid page, or "
            "--max-cost), refine fewer personas or pick a cheaper model. Your local drafts "
            "are kept."
        )


INPUT_MARGIN = 1.02
"""Counted input tokens are charged 2 % higher: the count is the API's own estimate."""
UNCAPPED_OUTPUT_TOKENS = 1 << 30


class Meter:
    """Makes a :class:`Budget` hard for calls to one model: see the module docstring.

    ``minimum_output`` is the fewest output tokens worth paying for (a persona cut off
    half-way is useless); below it :meth:`open` refuses with :class:`BudgetExceeded`.
    """

    def __init__(self, budget: Budget, price: Price, *, minimum_output: int = 1) -> None:
        self.budget = budget
        self.price = price
        self.minimum_output = max(minimum_output, 1)
        self.usage = BilledTokens()
        self.usd = 0.0
        """What the settled calls cost."""
        self.uncertain_usd = 0.0
        """Worst-case charges kept for calls whose outcome is unknown (they may be billed)."""
        self.calls = 0
        self._open: float | None = None

    @property
    def spent_usd(self) -> float:
        """Settled cost plus the charges kept for calls with an unknown outcome."""
        return self.usd + self.uncertain_usd

    def _input_usd(self, input_tokens: int, cacheable: int) -> float:
        """The most ``input_tokens`` can cost, ``cacheable`` of them as cache writes."""
        cacheable = min(cacheable, input_tokens)
        return self.price.cost_usd(
            math.ceil((input_tokens - cacheable) * INPUT_MARGIN),
            0,
            cache_write=math.ceil(cacheable * INPUT_MARGIN),
        )

    def affordable_output(self, input_tokens: int, cacheable: int = 0) -> int:
        """The most output tokens the remaining budget can pay after ``input_tokens``
        (``cacheable`` of them marked for the cache, so charged as cache writes)."""
        remaining = self.budget.remaining
        if remaining is None:
            return UNCAPPED_OUTPUT_TOKENS
        left = remaining - self._input_usd(input_tokens, cacheable)
        if left <= 0:
            return 0
        if self.price.output_per_mtok <= 0:
            return UNCAPPED_OUTPUT_TOKENS
        # A hair under the exact quotient, so rounding can never cross the cap.
        return max(math.floor(left * _MTOK / self.price.output_per_mtok * (1 - 1e-9)), 0)

    def require(self, input_tokens: int, max_tokens: int, cacheable: int = 0) -> int:
        """The ``max_tokens`` a call with ``input_tokens`` may use, charging nothing.

        Raises :class:`BudgetExceeded` when the budget cannot pay for ``minimum_output``
        tokens after the input: asked before anything is sent (even a token count).
        """
        allowed = min(max_tokens, self.affordable_output(input_tokens, cacheable))
        if allowed < min(self.minimum_output, max_tokens):
            left = self.budget.remaining or 0.0
            raise BudgetExceeded(
                f"The next Claude call needs about {input_tokens:,} input and up to "
                f"{self.minimum_output:,} output tokens, but only ${left:.4f} of your "
                f"${self.budget.cap_usd or 0:.2f} budget is left. Nothing more was sent. Raise "
                "the budget cap, refine fewer personas, or pick a cheaper model. Your local "
                "drafts are kept."
            )
        return allowed

    def open(self, input_tokens: int, max_tokens: int, cacheable: int = 0) -> int:
        """Charge a call's worst case; returns the ``max_tokens`` it may use (≤ ``max_tokens``).
        ``cacheable`` input tokens are marked for the cache: at worst each is a cache write.

        Raises :class:`BudgetExceeded` (charging nothing) when the budget cannot pay for
        ``minimum_output`` tokens after the input (:meth:`require`).
        """
        if self._open is not None:
            raise RuntimeError("Meter.open called twice without close")
        allowed = self.require(input_tokens, max_tokens, cacheable)
        worst = self._input_usd(input_tokens, cacheable) + self.price.cost_usd(0, allowed)
        self.budget.charge(worst)
        self._open = worst
        self.calls += 1
        return allowed

    def close(self, usage: BilledTokens | None) -> None:
        """Settle the open call with the usage billed, or keep its charge when ``None``."""
        charged, self._open = self._open, None
        if charged is None:
            return
        if usage is None:
            self.uncertain_usd += charged
            return
        actual = usage.cost_usd(self.price)
        self.budget.settle(charged, actual)
        self.usage += usage
        self.usd += actual

    def split(self, weights: Sequence[int], minimums: Sequence[int]) -> list[Meter]:
        """This meter's settled spend shared among meters by ``weights`` (equally when they
        are all 0), each with its ``minimums`` output for later calls: tokens by the largest
        remainder and dollars with the rest on the last, so the shares add up exactly."""
        total = sum(weights)
        shares = [w / total for w in weights] if total else [1 / len(weights)] * len(weights)
        kinds = [_shared_out(getattr(self.usage, kind), shares) for kind in _BILLED]
        meters = []
        for n, minimum in enumerate(minimums):
            meter = Meter(self.budget, self.price, minimum_output=minimum)
            meter.usage = BilledTokens(*(kind[n] for kind in kinds))
            meter.usd = self.usd * shares[n]
            meter.uncertain_usd = self.uncertain_usd * shares[n]
            meters.append(meter)
        meters[-1].usd = self.usd - sum(m.usd for m in meters[:-1])
        meters[-1].uncertain_usd = self.uncertain_usd - sum(m.uncertain_usd for m in meters[:-1])
        meters[0].calls = self.calls
        return meters


_BILLED = ("input_tokens", "output_tokens", "cache_write_tokens", "cache_read_tokens")


def _shared_out(amount: int, shares: Sequence[float]) -> list[int]:
    """``amount`` split by ``shares`` in whole numbers that add up to it (largest remainder)."""
    exact = [amount * share for share in shares]
    parts = [math.floor(x) for x in exact]
    by_remainder = sorted(range(len(exact)), key=lambda n: exact[n] - parts[n], reverse=True)
    for n in by_remainder[: amount - sum(parts)]:
        parts[n] += 1
    return parts

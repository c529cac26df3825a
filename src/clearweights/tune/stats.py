"""Paired bootstrap confidence intervals: a leaf improved or regressed only when the whole
interval of the mean difference lies on one side of zero, never on a raw delta."""

from __future__ import annotations

import random
from dataclasses import dataclass

IMPROVED, REGRESSED, NO_CHANGE, TOO_FEW = "improved", "regressed", "no change", "too few items"


@dataclass(frozen=True)
class Interval:
    """Mean paired difference (candidate - base) and its bootstrap interval."""

    n: int
    base_mean: float
    candidate_mean: float
    difference: float
    low: float
    high: float
    level: float

    @property
    def decision(self) -> str:
        if self.n < 2:
            return TOO_FEW
        if self.low > 0:
            return IMPROVED
        if self.high < 0:
            return REGRESSED
        return NO_CHANGE


def _quantile(values: list[float], q: float) -> float:
    """The q-quantile of sorted *values* by linear interpolation."""
    position = q * (len(values) - 1)
    low = int(position)
    high = min(low + 1, len(values) - 1)
    return values[low] + (values[high] - values[low]) * (position - low)


def paired_bootstrap(
    base: list[float],
    candidate: list[float],
    *,
    resamples: int = 2000,
    level: float = 0.95,
    seed: int = 0,
) -> Interval:
    """Percentile bootstrap of the mean of paired differences (items resampled with replacement).

    >>> paired_bootstrap([0, 0, 0, 0], [1, 1, 1, 1]).decision
    'improved'
    """
    if len(base) != len(candidate):
        raise ValueError("paired scores need the same items")
    n = len(base)
    diffs = [c - b for b, c in zip(base, candidate, strict=True)]
    if n == 0:
        return Interval(0, 0.0, 0.0, 0.0, 0.0, 0.0, level)
    mean = sum(diffs) / n
    rng = random.Random(seed)
    means = sorted(sum(rng.choices(diffs, k=n)) / n for _ in range(resamples))
    tail = (1 - level) / 2
    return Interval(
        n, sum(base) / n, sum(candidate) / n, mean,
        _quantile(means, tail), _quantile(means, 1 - tail), level,
    )  # fmt: skip

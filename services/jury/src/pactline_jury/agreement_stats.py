"""Accuracy and Cohen's kappa of a rater against the labels, in Decimal (pure).

A judge's missing or invalid vote is a category of its own ("NONE"): it can never agree with
a label, so a judge that often fails to answer scores low on both figures.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from decimal import Decimal

from .aggregation import quantize

NONE = "NONE"


def accuracy(labels: Sequence[str], ratings: Sequence[str]) -> Decimal:
    if len(labels) != len(ratings) or not labels:
        raise ValueError("labels and ratings must be non-empty and of equal length")
    return quantize(Decimal(sum(a == b for a, b in zip(labels, ratings, strict=True))) / len(labels))


def cohen_kappa(labels: Sequence[str], ratings: Sequence[str]) -> Decimal:
    """kappa = (p_o - p_e) / (1 - p_e); p_e from the two marginal distributions.

    When chance agreement is already total (p_e = 1: one category everywhere), kappa is 1 if
    the ratings agree with the labels and 0 otherwise.
    """
    if len(labels) != len(ratings) or not labels:
        raise ValueError("labels and ratings must be non-empty and of equal length")
    n = Decimal(len(labels))
    observed = Decimal(sum(a == b for a, b in zip(labels, ratings, strict=True))) / n
    gold, rater = Counter(labels), Counter(ratings)
    expected = sum((Decimal(gold[c]) / n) * (Decimal(rater[c]) / n) for c in set(gold) | set(rater))
    if expected == 1:
        return Decimal(1) if observed == 1 else Decimal(0)
    return quantize((observed - expected) / (1 - expected))

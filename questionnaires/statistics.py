"""Confidence intervals and tests for campaign results, from counts and sufficient statistics.

Everything here works from counts (hits, n) or sufficient statistics (n, sum, sum of squares), so
aggregates can be updated one completion at a time and never need the raw answers again. The special
functions (regularized incomplete beta and gamma, the t quantile) are written out because the core takes
no numerical dependency; they are accurate to about 1e-12, far beyond what survey results need.

Intervals are 95% by default: ``z = 1.96`` for the normal-based ones, ``confidence = 0.95`` for the
t-based ones.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from statistics import NormalDist

_EPS = 1e-15
_TINY = 1e-300
_MAX_ITERATIONS = 500


@dataclass(frozen=True, slots=True)
class Significance:
    """The outcome of a significance test: its statistic, degrees of freedom and two-sided p-value."""

    statistic: float
    df: float
    p_value: float


@dataclass(frozen=True, slots=True)
class Change:
    """A mean before/after change with its t interval and the p-value of "no change" (paired t-test)."""

    n: int
    mean: float | None
    low: float | None
    high: float | None
    p_value: float | None


# --- special functions -------------------------------------------------------------------------------


def regularized_beta(x: float, a: float, b: float) -> float:
    """The regularized incomplete beta function I_x(a, b), which gives the t and F distributions."""
    if a <= 0 or b <= 0:
        raise ValueError("a and b must be positive")
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    log_front = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x)
    # The continued fraction converges fast only below the mean of the beta distribution; above it, use
    # the symmetry I_x(a, b) = 1 - I_(1-x)(b, a).
    if x < (a + 1) / (a + b + 2):
        return math.exp(log_front) * _beta_fraction(x, a, b) / a
    return 1.0 - math.exp(log_front) * _beta_fraction(1.0 - x, b, a) / b


def _beta_fraction(x: float, a: float, b: float) -> float:
    """Continued fraction for I_x(a, b), evaluated by the modified Lentz method."""
    c = 1.0
    d = 1.0 - (a + b) * x / (a + 1)
    d = 1.0 / (d if abs(d) > _TINY else _TINY)
    h = d
    for m in range(1, _MAX_ITERATIONS + 1):
        m2 = 2 * m
        for numerator in (
            m * (b - m) * x / ((a + m2 - 1) * (a + m2)),
            -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1)),
        ):
            d = 1.0 + numerator * d
            d = 1.0 / (d if abs(d) > _TINY else _TINY)
            c = 1.0 + numerator / c
            c = c if abs(c) > _TINY else _TINY
            step = c * d
            h *= step
        if abs(step - 1.0) < _EPS:
            return h
    raise ArithmeticError("incomplete beta continued fraction did not converge")


def regularized_gamma_upper(a: float, x: float) -> float:
    """The regularized upper incomplete gamma function Q(a, x), which gives chi-square tail probabilities."""
    if a <= 0:
        raise ValueError("a must be positive")
    if x <= 0:
        return 1.0
    log_front = -x + a * math.log(x) - math.lgamma(a)
    if x < a + 1:
        # The series for the lower function P(a, x) converges quickly here.
        term = total = 1.0 / a
        denominator = a
        for _ in range(_MAX_ITERATIONS):
            denominator += 1
            term *= x / denominator
            total += term
            if abs(term) < abs(total) * _EPS:
                return max(0.0, 1.0 - total * math.exp(log_front))
        raise ArithmeticError("incomplete gamma series did not converge")
    b = x + 1 - a
    c = 1.0 / _TINY
    d = 1.0 / b
    h = d
    for i in range(1, _MAX_ITERATIONS + 1):
        numerator = -i * (i - a)
        b += 2
        d = numerator * d + b
        d = 1.0 / (d if abs(d) > _TINY else _TINY)
        c = b + numerator / c
        c = c if abs(c) > _TINY else _TINY
        step = c * d
        h *= step
        if abs(step - 1.0) < _EPS:
            return math.exp(log_front) * h
    raise ArithmeticError("incomplete gamma continued fraction did not converge")


def chi2_sf(x: float, df: float) -> float:
    """P(X >= x) for chi-square with ``df`` degrees of freedom: the p-value of a chi-square test."""
    if df <= 0:
        raise ValueError("df must be positive")
    return regularized_gamma_upper(df / 2, x / 2)


def t_two_sided(t: float, df: float) -> float:
    """P(|T| >= |t|) for Student's t with ``df`` degrees of freedom: the p-value of a two-sided t-test."""
    if df <= 0:
        raise ValueError("df must be positive")
    if math.isinf(t):
        return 0.0
    return regularized_beta(df / (df + t * t), df / 2, 0.5)


def t_cdf(t: float, df: float) -> float:
    """P(T <= t) for Student's t with ``df`` (possibly fractional) degrees of freedom."""
    tail = t_two_sided(t, df) / 2
    return 1.0 - tail if t > 0 else tail


def _t_pdf(t: float, df: float) -> float:
    log_density = (
        math.lgamma((df + 1) / 2)
        - math.lgamma(df / 2)
        - 0.5 * math.log(df * math.pi)
        - (df + 1) / 2 * math.log1p(t * t / df)
    )
    return math.exp(log_density)


def t_quantile(p: float, df: float) -> float:
    """The t value below which a fraction ``p`` of Student's t lies (``t_quantile(0.975, 10)`` = 2.228)."""
    if not 0 < p < 1:
        raise ValueError("p must be strictly between 0 and 1")
    if df <= 0:
        raise ValueError("df must be positive")
    if p == 0.5:
        return 0.0
    if p < 0.5:
        return -t_quantile(1 - p, df)
    # Closed forms exist for one and two degrees of freedom.
    if df == 1:
        return math.tan(math.pi * (p - 0.5))
    if df == 2:
        return (2 * p - 1) / math.sqrt(2 * p * (1 - p))
    upper = 1 - p
    guess = _cornish_fisher(p, df)
    # Bracket the root, then polish the Cornish-Fisher start with Newton steps on the exact tail,
    # falling back to bisection whenever a step leaves the bracket.
    low, high = 0.0, max(guess, 1.0)
    while t_two_sided(high, df) / 2 > upper:
        low, high = high, high * 2
    t = guess if low < guess < high else (low + high) / 2
    for _ in range(_MAX_ITERATIONS):
        excess = t_two_sided(t, df) / 2 - upper
        if excess > 0:
            low = t
        else:
            high = t
        candidate = t + excess / _t_pdf(t, df)
        if not low < candidate < high:
            candidate = (low + high) / 2
        if abs(candidate - t) <= 1e-13 * max(1.0, t):
            return candidate
        t = candidate
    return t


def _cornish_fisher(p: float, df: float) -> float:
    """Cornish-Fisher expansion of the t quantile around the normal one (Abramowitz & Stegun 26.7.5)."""
    z = NormalDist().inv_cdf(p)
    z2 = z * z
    g1 = z * (z2 + 1) / 4
    g2 = z * ((5 * z2 + 16) * z2 + 3) / 96
    g3 = z * (((3 * z2 + 19) * z2 + 17) * z2 - 15) / 384
    g4 = z * ((((79 * z2 + 776) * z2 + 1482) * z2 - 1920) * z2 - 945) / 92160
    return z + g1 / df + g2 / df**2 + g3 / df**3 + g4 / df**4


# --- intervals ----------------------------------------------------------------------------------------


def wilson(hits: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval for a proportion (as fractions 0-1); sound for small n and shares near 0 or 1.

    With no observations the interval is the uninformative (0, 1).
    """
    _check_count(hits, n)
    if n == 0:
        return 0.0, 1.0
    share = hits / n
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (share + z2 / (2 * n)) / denominator
    half = z * math.sqrt(share * (1 - share) / n + z2 / (4 * n * n)) / denominator
    # Clamp against rounding so an all-hit or no-hit sample still reaches 1 or 0 exactly.
    return max(0.0, centre - half), min(1.0, centre + half)


def sample_variance(n: int, total: float, total_sq: float) -> float:
    """Unbiased sample variance from sufficient statistics (needs n >= 2)."""
    if n < 2:
        raise ValueError("the sample variance needs at least two observations")
    # Rounding can make total_sq - total**2 / n slightly negative for constant samples.
    return max(0.0, (total_sq - total * total / n) / (n - 1))


def mean_interval(
    n: int, total: float, total_sq: float, confidence: float = 0.95
) -> tuple[float | None, float | None, float | None]:
    """(mean, low, high) of a t interval from n, sum and sum of squares; no interval below two observations.

    n = 0 gives (None, None, None); n = 1 gives the value with no interval.
    """
    if n < 0:
        raise ValueError("n must not be negative")
    if n == 0:
        return None, None, None
    mean = total / n
    if n < 2:
        return mean, None, None
    half = t_quantile(0.5 + confidence / 2, n - 1) * math.sqrt(sample_variance(n, total, total_sq) / n)
    return mean, mean - half, mean + half


def recommend_interval(
    promoters: int, passives: int, detractors: int, z: float = 1.96
) -> tuple[float | None, float | None, float | None]:
    """(score, low, high) of the likelihood-to-recommend score, from -100 to +100.

    Each respondent scores +1 (promoter, 9-10), 0 (passive, 7-8) or -1 (detractor, 0-6), so with shares
    p and d of promoters and detractors the score is 100 (p - d) and one respondent's outcome has variance
    (p + d) - (p - d)^2. The interval is the normal approximation score +/- z * 100 sqrt(variance / n),
    clipped to [-100, 100]. When every respondent is in one category the variance is 0 and the interval
    collapses onto the score, so read it together with n.
    """
    for count in (promoters, passives, detractors):
        if count < 0:
            raise ValueError("counts must not be negative")
    n = promoters + passives + detractors
    if n == 0:
        return None, None, None
    p, d = promoters / n, detractors / n
    score = 100 * (p - d)
    variance = max(0.0, (p + d) - (p - d) ** 2)
    half = z * 100 * math.sqrt(variance / n)
    return score, max(-100.0, score - half), min(100.0, score + half)


def paired_change_from_stats(n: int, total: float, total_sq: float, confidence: float = 0.95) -> Change:
    """Mean before/after change, t interval and paired t-test, from n, sum and sum of squares of changes."""
    mean, low, high = mean_interval(n, total, total_sq, confidence)
    p_value: float | None = None
    if n >= 2 and mean is not None:
        se = math.sqrt(sample_variance(n, total, total_sq) / n)
        # A constant non-zero change is certain; a constant zero change is no evidence at all.
        p_value = t_two_sided(mean / se, n - 1) if se > 0 else float(mean == 0)
    return Change(n=n, mean=mean, low=low, high=high, p_value=p_value)


def paired_change(pairs: Iterable[tuple[float, float]], confidence: float = 0.95) -> Change:
    """Mean change from (before, after) pairs of the same respondents, e.g. a score at entry and at exit."""
    n, total, total_sq = 0, 0.0, 0.0
    for before, after in pairs:
        difference = after - before
        n += 1
        total += difference
        total_sq += difference * difference
    return paired_change_from_stats(n, total, total_sq, confidence)


# --- tests: do channels (or groups) differ beyond chance? -------------------------------------------------


def two_proportion_test(h1: int, n1: int, h2: int, n2: int) -> float:
    """Two-sided p-value of the pooled z-test that two shares are equal (e.g. SMS vs web respondents).

    It equals the 2 x 2 chi-square test without continuity correction. With an empty group, or when
    every answer in both groups is a hit (or none is), the data carry no evidence of a difference: 1.0.
    """
    _check_count(h1, n1)
    _check_count(h2, n2)
    if n1 == 0 or n2 == 0:
        return 1.0
    pooled = (h1 + h2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return 1.0
    z = (h1 / n1 - h2 / n2) / se
    return math.erfc(abs(z) / math.sqrt(2))


def chi_square_independence(groups: Sequence[tuple[int, int]]) -> Significance:
    """Pearson chi-square test that a hit rate is the same in k groups, each given as (hits, n).

    Empty groups are left out. With fewer than two non-empty groups, or no variation in the outcome,
    there is nothing to test: statistic 0 and p-value 1.
    """
    for hits, n in groups:
        _check_count(hits, n)
    used = [(hits, n) for hits, n in groups if n > 0]
    total_n = sum(n for _, n in used)
    total_hits = sum(hits for hits, _ in used)
    df = len(used) - 1
    if df < 1 or total_hits in (0, total_n):
        return Significance(statistic=0.0, df=float(max(df, 0)), p_value=1.0)
    rate = total_hits / total_n
    statistic = 0.0
    for hits, n in used:
        expected_hits, expected_misses = n * rate, n * (1 - rate)
        statistic += (hits - expected_hits) ** 2 / expected_hits
        statistic += ((n - hits) - expected_misses) ** 2 / expected_misses
    return Significance(statistic=statistic, df=float(df), p_value=chi2_sf(statistic, df))


def welch_test(group1: tuple[int, float, float], group2: tuple[int, float, float]) -> Significance:
    """Welch's t-test that two means are equal (unequal variances); each group is (n, sum, sum of squares).

    The degrees of freedom are Welch-Satterthwaite's. Each group needs two observations; when both
    groups are constant the test is decided by whether the means differ (p-value 0 or 1).
    """
    (n1, total1, total_sq1), (n2, total2, total_sq2) = group1, group2
    var1 = sample_variance(n1, total1, total_sq1) / n1
    var2 = sample_variance(n2, total2, total_sq2) / n2
    difference = total1 / n1 - total2 / n2
    se2 = var1 + var2
    if se2 == 0:
        return Significance(statistic=0.0, df=float(n1 + n2 - 2), p_value=float(difference == 0))
    statistic = difference / math.sqrt(se2)
    df = se2 * se2 / (var1 * var1 / (n1 - 1) + var2 * var2 / (n2 - 1))
    return Significance(statistic=statistic, df=df, p_value=t_two_sided(statistic, df))


def _check_count(hits: int, n: int) -> None:
    if n < 0 or hits < 0 or hits > n:
        raise ValueError(f"invalid count: {hits} hits out of {n}")

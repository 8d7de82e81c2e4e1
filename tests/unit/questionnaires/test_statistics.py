"""Intervals and tests against printed tables, hand computations and R's classic `sleep` example."""

import math

import pytest

from questionnaires.statistics import (
    Change,
    chi2_sf,
    chi_square_independence,
    mean_interval,
    paired_change,
    paired_change_from_stats,
    recommend_interval,
    regularized_beta,
    regularized_gamma_upper,
    t_cdf,
    t_quantile,
    two_proportion_test,
    welch_test,
    wilson,
)

# R's `sleep` data (Student 1908): extra hours of sleep with two drugs, the same 10 patients.
SLEEP_DRUG_1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0]
SLEEP_DRUG_2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4]


def stats(values: list[float]) -> tuple[int, float, float]:
    return len(values), sum(values), sum(v * v for v in values)


@pytest.mark.parametrize(
    ("df", "expected"),
    # Two-sided 5% critical values as printed in every t table.
    [(1, 12.706), (2, 4.303), (3, 3.182), (4, 2.776), (5, 2.571), (10, 2.228), (30, 2.042), (100, 1.984)],
)
def test_t_quantile_matches_the_printed_table(df: int, expected: float) -> None:
    assert t_quantile(0.975, df) == pytest.approx(expected, abs=5e-4)


def test_t_quantile_extreme_tails_and_symmetry() -> None:
    assert t_quantile(0.9995, 5) == pytest.approx(6.869, abs=5e-4)  # table: 0.1% two-sided, df 5
    assert t_quantile(0.9999, 3) == pytest.approx(22.204, abs=5e-4)
    assert t_quantile(0.025, 10) == pytest.approx(-2.228, abs=5e-4)
    assert t_quantile(0.5, 7) == 0.0
    # A large df tends to the normal quantile.
    assert t_quantile(0.975, 1e7) == pytest.approx(1.959964, abs=1e-5)


@pytest.mark.parametrize("df", [0.5, 1, 1.5, 2, 3, 7.3, 17.776, 60, 500])
@pytest.mark.parametrize("p", [0.6, 0.9, 0.975, 0.999])
def test_t_quantile_inverts_the_cdf_for_fractional_df(p: float, df: float) -> None:
    assert t_cdf(t_quantile(p, df), df) == pytest.approx(p, abs=1e-10)


def test_t_cdf_closed_forms() -> None:
    # df 1 is the Cauchy distribution; df 2 has F(t) = 1/2 + t / (2 sqrt(2 + t^2)).
    assert t_cdf(1.0, 1) == pytest.approx(0.75, abs=1e-12)
    assert t_cdf(2.0, 2) == pytest.approx(0.5 + 2 / (2 * math.sqrt(6)), abs=1e-12)
    assert t_cdf(-2.0, 2) == pytest.approx(0.5 - 2 / (2 * math.sqrt(6)), abs=1e-12)


def test_special_functions_against_closed_forms() -> None:
    # I_x(a, 1) = x^a; I_x(1, b) = 1 - (1 - x)^b; Q(1, x) = exp(-x); chi-square with 1 df: erfc(sqrt(x/2)).
    assert regularized_beta(0.3, 2.5, 1) == pytest.approx(0.3**2.5, rel=1e-12)
    assert regularized_beta(0.3, 1, 4.0) == pytest.approx(1 - 0.7**4, rel=1e-12)
    assert regularized_beta(0.8, 3, 1) == pytest.approx(0.8**3, rel=1e-12)
    for x in (0.1, 1.0, 3.0, 30.0):
        assert regularized_gamma_upper(1, x) == pytest.approx(math.exp(-x), rel=1e-12)
        assert chi2_sf(x, 1) == pytest.approx(math.erfc(math.sqrt(x / 2)), rel=1e-10)
        assert chi2_sf(x, 2) == pytest.approx(math.exp(-x / 2), rel=1e-12)


@pytest.mark.parametrize(
    ("x", "df"),
    # Chi-square 5% critical values as printed in every table.
    [(3.841, 1), (5.991, 2), (7.815, 3), (9.488, 4), (18.307, 10), (124.342, 100)],
)
def test_chi2_sf_matches_the_printed_table(x: float, df: int) -> None:
    assert chi2_sf(x, df) == pytest.approx(0.05, abs=2e-5)


def test_wilson_hand_computed() -> None:
    # 8 of 10, z = 1.96: centre (0.8 + 0.19208) / 1.38416 = 0.71679,
    # half-width 1.96 sqrt(0.016 + 0.009604) / 1.38416 = 0.22663 -> (0.4902, 0.9433).
    low, high = wilson(8, 10)
    assert low == pytest.approx(0.4902, abs=1e-4)
    assert high == pytest.approx(0.9433, abs=1e-4)


def test_wilson_edges() -> None:
    # 0 of 10: (0, z^2 / (n + z^2)) = (0, 3.8416 / 13.8416) = (0, 0.2775).
    assert wilson(0, 10) == (0.0, pytest.approx(0.2775, abs=1e-4))
    assert wilson(10, 10) == (pytest.approx(0.7225, abs=1e-4), 1.0)
    assert wilson(0, 0) == (0.0, 1.0)
    with pytest.raises(ValueError):
        wilson(3, 2)


def test_mean_interval_hand_computed() -> None:
    # 2, 4, 4, 4, 5, 5, 7, 9: mean 5, sample variance 32/7, se sqrt(32/7/8) = 0.7559,
    # t(0.975, 7) = 2.365 -> 5 +/- 1.7875.
    mean, low, high = mean_interval(*stats([2, 4, 4, 4, 5, 5, 7, 9]))
    assert mean == 5
    assert low == pytest.approx(3.2125, abs=1e-3)
    assert high == pytest.approx(6.7875, abs=1e-3)


def test_mean_interval_needs_two_observations() -> None:
    assert mean_interval(0, 0.0, 0.0) == (None, None, None)
    assert mean_interval(1, 7.0, 49.0) == (7.0, None, None)
    assert mean_interval(3, 12.0, 48.0) == (4.0, 4.0, 4.0)


def test_recommend_interval_hand_computed() -> None:
    # 5 promoters, 2 passives, 3 detractors: p = 0.5, d = 0.3, score 20;
    # variance (0.5 + 0.3) - 0.2^2 = 0.76; half-width 1.96 * 100 * sqrt(0.76 / 10) = 54.033.
    score, low, high = recommend_interval(5, 2, 3)
    assert score == pytest.approx(20.0)
    assert low == pytest.approx(-34.033, abs=1e-3)
    assert high == pytest.approx(74.033, abs=1e-3)


def test_recommend_interval_is_clipped_and_empty_is_none() -> None:
    # 9 promoters, 1 detractor: score 80, variance 1 - 0.64 = 0.36, half 1.96 * 100 * sqrt(0.036) = 37.19.
    score, low, high = recommend_interval(9, 0, 1)
    assert (score, high) == (pytest.approx(80.0), 100.0)
    assert low == pytest.approx(42.81, abs=1e-2)
    assert recommend_interval(0, 0, 0) == (None, None, None)
    assert recommend_interval(4, 0, 0) == (100.0, 100.0, 100.0)


def test_paired_change_matches_r_sleep() -> None:
    # R: t.test(extra ~ group, data = sleep, paired = TRUE) -> t = -4.0621, df = 9, p = 0.002833,
    # mean difference -1.58, 95% CI -2.4598858 -0.7001142 (drug 1 minus drug 2).
    change = paired_change(zip(SLEEP_DRUG_2, SLEEP_DRUG_1, strict=True))
    assert change.n == 10
    assert change.mean == pytest.approx(-1.58)
    assert change.low == pytest.approx(-2.4598858, abs=1e-6)
    assert change.high == pytest.approx(-0.7001142, abs=1e-6)
    assert change.p_value == pytest.approx(0.002833, abs=1e-6)


def test_paired_change_from_stats_edges() -> None:
    assert paired_change_from_stats(0, 0.0, 0.0) == Change(0, None, None, None, None)
    assert paired_change_from_stats(1, 3.0, 9.0) == Change(1, 3.0, None, None, None)
    assert paired_change_from_stats(3, 6.0, 12.0).p_value == 0.0


def test_welch_matches_r_sleep() -> None:
    # R: t.test(extra ~ group, data = sleep) -> t = -1.8608, df = 17.776, p-value = 0.07939.
    result = welch_test(stats(SLEEP_DRUG_1), stats(SLEEP_DRUG_2))
    assert result.statistic == pytest.approx(-1.8608, abs=1e-4)
    assert result.df == pytest.approx(17.776, abs=1e-3)
    assert result.p_value == pytest.approx(0.07939, abs=1e-5)


def test_welch_constant_groups() -> None:
    assert welch_test((3, 6.0, 12.0), (4, 8.0, 16.0)).p_value == 1.0
    assert welch_test((3, 6.0, 12.0), (4, 12.0, 36.0)).p_value == 0.0


def test_welch_needs_two_observations_per_group() -> None:
    with pytest.raises(ValueError):
        welch_test((1, 3.0, 9.0), (5, 10.0, 30.0))


def test_two_proportion_test_hand_computed() -> None:
    # 45/100 vs 30/100: pooled 0.375, se sqrt(0.375 * 0.625 * 0.02) = 0.068465, z = 0.15 / 0.068465 = 2.1909,
    # two-sided p = 0.0285.
    assert two_proportion_test(45, 100, 30, 100) == pytest.approx(0.02846, abs=1e-5)
    assert two_proportion_test(5, 10, 5, 10) == pytest.approx(1.0)
    assert two_proportion_test(10, 10, 7, 7) == 1.0
    assert two_proportion_test(3, 10, 0, 0) == 1.0


def test_chi_square_two_groups_is_the_squared_z_test() -> None:
    # 2 x 2 table [[45, 55], [30, 70]]: chi^2 = z^2 = 4.8 exactly.
    result = chi_square_independence([(45, 100), (30, 100)])
    assert result.statistic == pytest.approx(4.8)
    assert result.df == 1
    assert result.p_value == pytest.approx(two_proportion_test(45, 100, 30, 100), rel=1e-10)


def test_chi_square_three_channels_hand_computed() -> None:
    # web 30/50, telegram 20/50, sms 10/50: expected 20 hits and 30 misses in each;
    # chi^2 = 2 * (100/20 + 100/30) = 16.667, df 2, p = exp(-16.667 / 2) = 0.000240.
    result = chi_square_independence([(30, 50), (20, 50), (10, 50), (0, 0)])
    assert result.statistic == pytest.approx(50 / 3)
    assert result.df == 2
    assert result.p_value == pytest.approx(math.exp(-25 / 3), rel=1e-9)


def test_chi_square_without_variation_has_nothing_to_test() -> None:
    assert chi_square_independence([(5, 5), (8, 8)]).p_value == 1.0
    assert chi_square_independence([(3, 5)]).p_value == 1.0

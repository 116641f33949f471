"""BG/NBD and Gamma-Gamma: the published CDNOW estimates, and the formulas against simulation."""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from unicx.predict.btyd import (
    BetaGeo,
    FitError,
    GammaGamma,
    customer_lifetime_value,
    fit_bgnbd,
    fit_gamma_gamma,
)


def _cdnow() -> pd.DataFrame:
    for f in importlib.metadata.files("lifetimes") or []:
        if f.name == "cdnow_customers_summary_with_transactions.csv":
            return pd.read_csv(Path(str(f.locate())))
    raise AssertionError("the lifetimes wheel (dev dependency) ships the CDNOW summary")


def _close(value: float, published: float, tol: float = 0.01) -> bool:
    return abs(value - published) / published <= tol


def test_bgnbd_reproduces_the_published_cdnow_estimates() -> None:
    data = _cdnow()
    bg = fit_bgnbd(data["x"], data["t_x"], data["T"])
    published = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
    assert all(_close(getattr(bg, k), v) for k, v in published.items()), bg
    assert bg.log_likelihood == pytest.approx(-9582.4, abs=0.1)  # FHL 2005, section 4


def test_gamma_gamma_reproduces_the_published_cdnow_estimates() -> None:
    data = _cdnow()
    repeat = data[data["x"] > 0]
    gg = fit_gamma_gamma(repeat["x"], repeat["zbar"])
    assert _close(gg.p, 6.25) and _close(gg.q, 3.74) and _close(gg.gamma, 15.44), gg


def _simulate_new_customers(bg: BetaGeo, t: float, n: int, seed: int) -> float:
    """Mean purchases in (0, t] of new customers drawn from the BG/NBD story itself."""
    rng = np.random.default_rng(seed)
    lam = rng.gamma(bg.r, 1 / bg.alpha, n)
    p = rng.beta(bg.a, bg.b, n)
    total = 0
    for i in range(n):
        clock, count = 0.0, 0
        while True:
            clock += rng.exponential(1 / lam[i])
            if clock > t:
                break
            count += 1
            if rng.random() < p[i]:  # drops out after this purchase
                break
        total += count
    return total / n


def test_expected_purchases_of_a_new_customer_match_a_simulation() -> None:
    bg = BetaGeo(r=0.5, alpha=5.0, a=1.5, b=3.0, log_likelihood=0.0)
    simulated = _simulate_new_customers(bg, 20.0, 40_000, seed=3)
    assert bg.expected_purchases_new(20.0) == pytest.approx(simulated, rel=0.03)


def test_conditional_expectations_behave() -> None:
    bg = BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426, log_likelihood=0.0)
    # Someone who bought often and recently is more alive and buys more than someone who bought
    # as often but long ago; nobody without repeats is ever "dead" in the model.
    recent = bg.expected_purchases(39, [5], [38], [39])[0]
    stale = bg.expected_purchases(39, [5], [5], [39])[0]
    assert recent > stale > 0
    alive = bg.probability_alive([5, 5, 0], [38, 5, 0], [39, 39, 39])
    assert alive[0] > alive[1] and alive[2] == 1.0
    more_time = bg.expected_purchases(78, [5], [38], [39])[0]
    assert more_time > recent
    # Customer 1 of the summary, by the formula (x=2, t_x=30.43, T=38.86).
    assert bg.expected_purchases(39, [2], [30.43], [38.86])[0] == pytest.approx(1.226, abs=0.01)


def test_gamma_gamma_shrinks_towards_the_population_mean() -> None:
    gg = GammaGamma(p=6.25, q=3.74, gamma=15.44, log_likelihood=0.0)
    population = 6.25 * 15.44 / (3.74 - 1)
    one, many = gg.expected_spend([1, 50], [100.0, 100.0])
    assert population < one < many < 100.0
    assert gg.expected_spend([0], [0.0])[0] == pytest.approx(population)


def test_bad_input_is_refused() -> None:
    with pytest.raises(FitError):
        fit_bgnbd([], [], [])
    with pytest.raises(FitError):
        fit_bgnbd([1], [5.0], [2.0])  # last purchase after the end
    with pytest.raises(FitError):
        fit_gamma_gamma([1, 0], [10.0, 5.0])


def _gauss(lo: float, hi: float, n: int) -> tuple[np.ndarray, np.ndarray]:
    u, w = np.polynomial.legendre.leggauss(n)
    return lo + (hi - lo) * (u + 1) / 2, w * (hi - lo) / 2


@pytest.mark.parametrize(
    ("x", "t_x", "T", "t"),
    [(3, 8.0, 10.0, 5.0), (3, 2.0, 10.0, 5.0), (0, 0.0, 6.0, 4.0), (6, 9.5, 10.0, 20.0)],
)
def test_conditional_formulas_match_numerical_integration(
    x: int, t_x: float, T: float, t: float
) -> None:
    """P(alive) and E[Y(t) | x, t_x, T] by integrating the model's own story over the prior of
    (lambda, p): independent of the closed forms (no hypergeometric function involved)."""
    bg = BetaGeo(r=2.0, alpha=5.0, a=1.5, b=3.0, log_likelihood=0.0)
    lam, w_lam = _gauss(0.0, 40.0, 400)
    p, w_p = _gauss(0.0, 1.0, 400)
    L, P = np.meshgrid(lam, p, indexing="ij")
    prior = stats.gamma.pdf(lam, bg.r, scale=1 / bg.alpha) * w_lam
    weights = np.outer(prior, stats.beta.pdf(p, bg.a, bg.b) * w_p)
    alive = (1 - P) ** x * L**x * np.exp(-L * T)  # survived x purchases, none since t_x
    dead = P * (1 - P) ** (x - 1) * L**x * np.exp(-L * t_x) if x > 0 else 0.0
    evidence = np.sum(weights * (alive + dead))
    # Alive with rate lambda and dropout p: E[purchases in t] = (1 - exp(-lambda p t)) / p.
    expected = np.sum(weights * alive * (1 - np.exp(-L * P * t)) / P) / evidence
    assert bg.probability_alive([x], [t_x], [T])[0] == pytest.approx(
        np.sum(weights * alive) / evidence, rel=1e-6
    )
    assert bg.expected_purchases(t, [x], [t_x], [T])[0] == pytest.approx(expected, rel=1e-6)


def test_expected_spend_matches_the_posterior_mean() -> None:
    """E[M | x, m] = E[p / nu | data], with nu's posterior integrated numerically."""
    gg = GammaGamma(p=6.25, q=3.74, gamma=15.44, log_likelihood=0.0)
    x, m = 4, 52.0
    nu, w = _gauss(1e-9, 5.0, 2000)
    # Prior nu ~ Gamma(q, rate gamma); x spends with mean m each ~ Gamma(p, rate nu).
    log_post = stats.gamma.logpdf(nu, gg.q, scale=1 / gg.gamma) + gg.p * x * np.log(nu) - nu * x * m
    post = np.exp(log_post - log_post.max()) * w
    assert gg.expected_spend([x], [m])[0] == pytest.approx(
        np.sum(post * gg.p / nu) / np.sum(post), rel=1e-6
    )


def test_clv_without_discount_is_purchases_times_spend() -> None:
    bg = BetaGeo(r=0.243, alpha=4.414, a=0.793, b=2.426, log_likelihood=0.0)
    gg = GammaGamma(p=6.25, q=3.74, gamma=15.44, log_likelihood=0.0)
    x, t_x, T, m = [2, 0], [30.43, 0.0], [38.86, 38.86], [22.35, 0.0]

    def clv(discount: float) -> np.ndarray:
        return customer_lifetime_value(
            bg, gg, x=x, t_x=t_x, T=T, mean_spend=m, days_per_month=1, monthly_discount=discount
        )

    flat = clv(0.0)
    purchases = bg.expected_purchases(12, x, t_x, T)
    assert flat == pytest.approx(purchases * gg.expected_spend(x, m), rel=1e-9)
    # Every month's purchases are worth less: between the flat value and the flat value / 1.05^12.
    discounted = clv(0.05)
    assert np.all(flat / 1.05**12 < discounted) and np.all(discounted < flat)

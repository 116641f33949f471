"""BG/NBD purchase frequency and Gamma-Gamma spend ("buy 'til you die") on numpy and scipy.

The published likelihoods, fitted by maximum likelihood over log-parameters:

- BG/NBD: Fader, Hardie & Lee (2005), "Counting your customers the easy way", Marketing
  Science 24(2), equation (6), and its conditional expectation (10) and P(alive) (appendix).
- Gamma-Gamma: Fader, Hardie & Lee (2005), "RFM and CLV: using iso-value curves", and Fader &
  Hardie (2013), "The Gamma-Gamma model of monetary value", equation (1) and (5).

The maintained implementation (``lifetimes``) does not import on this Python (its autograd
dependency fails), so unicx implements the formulas here; ``bench/clv.py`` checks the fit
against the published CDNOW estimates.

Inputs per customer: ``x`` repeat purchases, ``t_x`` time of the last purchase and ``T`` age,
both measured from the first purchase in one time unit (unicx uses days).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import minimize
from scipy.special import betaln, gammaln, hyp2f1

FloatArray = NDArray[np.float64]


class FitError(ValueError):
    """The optimizer did not converge to finite parameters."""


def _arr(values: ArrayLike) -> FloatArray:
    return np.asarray(values, dtype=np.float64)


@dataclass(frozen=True)
class BetaGeo:
    """Fitted BG/NBD parameters: purchase rate ~ Gamma(r, alpha), dropout p ~ Beta(a, b)."""

    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float

    def _dropout_odds(self, x: FloatArray, t_x: FloatArray, T: FloatArray) -> FloatArray:
        # a/(b+x-1) * ((alpha+T)/(alpha+t_x))^(r+x), zero for x = 0 (nobody drops out before
        # a repeat purchase in the model); computed in logs to stay finite for large x.
        safe = np.maximum(self.b + x - 1, 1e-12)
        log_odds = (
            np.log(self.a)
            - np.log(safe)
            + (self.r + x) * (np.log(self.alpha + T) - np.log(self.alpha + t_x))
        )
        return np.where(x > 0, np.exp(np.minimum(log_odds, 700.0)), 0.0)

    def probability_alive(self, x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> FloatArray:
        x_, t_, T_ = _arr(x), _arr(t_x), _arr(T)
        return 1.0 / (1.0 + self._dropout_odds(x_, t_, T_))

    def expected_purchases(
        self, t: float, x: ArrayLike, t_x: ArrayLike, T: ArrayLike
    ) -> FloatArray:
        """E[Y(t) | x, t_x, T]: expected purchases in the next ``t`` time units (eq. 10)."""
        x_, t_, T_ = _arr(x), _arr(t_x), _arr(T)
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        z = t / (alpha + T_ + t)
        ratio = np.exp((r + x_) * (np.log(alpha + T_) - np.log(alpha + T_ + t)))
        first = (a + b + x_ - 1) / (a - 1)
        second = 1.0 - ratio * hyp2f1(r + x_, b + x_, a + b + x_ - 1, z)
        return np.asarray(first * second / (1.0 + self._dropout_odds(x_, t_, T_)))

    def expected_purchases_new(self, t: float) -> float:
        """E[X(t)] for a customer just acquired (eq. 7), for sanity checks and cold start."""
        r, alpha, a, b = self.r, self.alpha, self.a, self.b
        z = t / (alpha + t)
        return float(
            (a + b - 1) / (a - 1) * (1 - (alpha / (alpha + t)) ** r * hyp2f1(r, b, a + b - 1, z))
        )


def bgnbd_log_likelihood(
    params: FloatArray, x: FloatArray, t_x: FloatArray, T: FloatArray
) -> FloatArray:
    """Per-customer log-likelihood (FHL 2005 eq. 6) for params (r, alpha, a, b)."""
    r, alpha, a, b = params
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = betaln(a, b + x) - betaln(a, b)
    a3 = -(r + x) * np.log(alpha + T)
    safe = np.maximum(b + x - 1, 1e-12)
    a4 = np.where(
        x > 0,
        np.log(a) - np.log(safe) - (r + x) * np.log(alpha + t_x),
        -np.inf,
    )
    return np.asarray(a1 + a2 + np.logaddexp(a3, a4))


def _fit(objective_of: object, start: FloatArray, *, what: str) -> tuple[FloatArray, float]:
    # Log-parameters keep every parameter positive without bounds; Nelder-Mead first (robust
    # from a poor start), then BFGS from there to tighten the optimum.
    fn = objective_of  # a callable of log-params returning the negative log-likelihood

    def objective(log_params: FloatArray) -> float:
        value = float(fn(np.exp(log_params)))  # type: ignore[operator]
        return value if np.isfinite(value) else 1e300

    rough = minimize(objective, np.log(start), method="Nelder-Mead", options={"maxiter": 4000})
    fine = minimize(objective, rough.x, method="BFGS")
    best = fine if fine.fun <= rough.fun else rough
    params = np.exp(best.x)
    if not np.all(np.isfinite(params)) or not np.isfinite(best.fun):
        raise FitError(f"{what} fit did not converge to finite parameters")
    return params, -float(best.fun)


def fit_bgnbd(x: ArrayLike, t_x: ArrayLike, T: ArrayLike, *, penalizer: float = 0.0) -> BetaGeo:
    """Maximum-likelihood BG/NBD. ``penalizer`` adds an L2 penalty on the parameters (as the
    lifetimes package does) for small or degenerate data; 0 reproduces the paper."""
    x_, t_, T_ = _arr(x), _arr(t_x), _arr(T)
    if len(x_) == 0 or np.any(x_ < 0) or np.any(t_ > T_ + 1e-9) or np.any(t_ < 0):
        raise FitError("BG/NBD needs customers with 0 <= t_x <= T and x >= 0")

    # Fitted in units of the mean age and scaled back (alpha is a time scale; r, a, b are
    # unitless), so the penalty means the same in days or weeks.
    unit = max(float(np.mean(T_)), 1e-9)
    xs, ts, Ts = x_, t_ / unit, T_ / unit

    def nll(params: FloatArray) -> float:
        ll = bgnbd_log_likelihood(params, xs, ts, Ts).sum()
        return float(-ll + penalizer * np.sum(params**2))

    params, _ = _fit(nll, np.array([1.0, 1.0, 1.0, 1.0]), what="BG/NBD")
    params[1] *= unit
    ll = float(bgnbd_log_likelihood(params, x_, t_, T_).sum())
    r, alpha, a, b = (float(v) for v in params)
    if abs(a - 1) < 1e-9:
        # E[Y(t)] divides by (a - 1) (a < 1 is fine, as on CDNOW: both factors turn negative).
        raise FitError("BG/NBD fit gave a = 1, where the expectation is undefined")
    return BetaGeo(r, alpha, a, b, ll)


@dataclass(frozen=True)
class GammaGamma:
    """Fitted Gamma-Gamma spend parameters (p, q, gamma)."""

    p: float
    q: float
    gamma: float
    log_likelihood: float

    def expected_spend(self, x: ArrayLike, mean_spend: ArrayLike) -> FloatArray:
        """E[M | x, m_x]: expected average transaction value (FH 2013 eq. 5); a customer
        without repeat purchases gets the population mean p*gamma/(q-1)."""
        x_, m_ = _arr(x), _arr(mean_spend)
        population = self.p * self.gamma / (self.q - 1)
        individual = (self.gamma + m_ * x_) * self.p / (self.p * x_ + self.q - 1)
        return np.asarray(np.where(x_ > 0, individual, population))


def gamma_gamma_log_likelihood(params: FloatArray, x: FloatArray, m: FloatArray) -> FloatArray:
    p, q, gamma = params
    return np.asarray(
        gammaln(p * x + q)
        - gammaln(p * x)
        - gammaln(q)
        + q * np.log(gamma)
        + (p * x - 1) * np.log(m)
        + p * x * np.log(x)
        - (p * x + q) * np.log(gamma + m * x)
    )


def fit_gamma_gamma(x: ArrayLike, mean_spend: ArrayLike, *, penalizer: float = 0.0) -> GammaGamma:
    """Maximum-likelihood Gamma-Gamma on customers with x > 0 repeat purchases of positive
    mean value ``mean_spend``."""
    x_, m_ = _arr(x), _arr(mean_spend)
    if len(x_) == 0 or np.any(x_ <= 0) or np.any(m_ <= 0):
        raise FitError("Gamma-Gamma needs repeat customers with a positive mean spend")

    # Fitted on spend in units of its median and scaled back (gamma carries the currency
    # unit, p and q do not): VND amounts in millions would otherwise swamp the penalty.
    unit = max(float(np.median(m_)), 1e-9)

    def nll(params: FloatArray) -> float:
        ll = gamma_gamma_log_likelihood(params, x_, m_ / unit).sum()
        return float(-ll + penalizer * np.sum(params**2))

    params, _ = _fit(nll, np.array([1.0, 1.0, 1.0]), what="Gamma-Gamma")
    params[2] *= unit
    p, q, gamma = (float(v) for v in params)
    if q <= 1:
        raise FitError(f"Gamma-Gamma fit gave q = {q:.3f} <= 1: the mean spend is undefined")
    return GammaGamma(p, q, gamma, float(gamma_gamma_log_likelihood(params, x_, m_).sum()))


def customer_lifetime_value(
    bg: BetaGeo,
    gg: GammaGamma,
    *,
    x: ArrayLike,
    t_x: ArrayLike,
    T: ArrayLike,
    mean_spend: ArrayLike,
    months: int = 12,
    days_per_month: float = 30.0,
    monthly_discount: float = 0.01,
) -> FloatArray:
    """Discounted expected spend over ``months``: each month's expected purchases (difference
    of the cumulative expectation) times the expected spend, discounted monthly."""
    spend = gg.expected_spend(x, mean_spend)
    total = np.zeros_like(spend)
    previous = np.zeros_like(spend)
    for month in range(1, months + 1):
        cumulative = bg.expected_purchases(month * days_per_month, x, t_x, T)
        total += (cumulative - previous) * spend / (1 + monthly_discount) ** month
        previous = cumulative
    return total

"""Predictions: CLV (BG/NBD + Gamma-Gamma), churn propensity, lookalike audiences.

Every model records a run in ``models`` (registry.py) and writes its per-person outputs to
``model_traits``, where segments and journeys read them by name like any other trait.

Layer: above reports: may import reports, segments, profiles and everything below them.
"""

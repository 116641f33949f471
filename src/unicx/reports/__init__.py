"""Audience exploration reports: geography, products, affinity, lifecycle funnel, cohorts.

Each report is one SQL statement over ``event_profiles`` (named CTE steps, bound parameters)
behind a function of :mod:`unicx.reports.service`; definitions are in docs/reports.md.

Layer: above segments: may import segments and everything below it.
"""

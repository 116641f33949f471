"""Journeys: the definition language, validation, the step engine and worker, runs and entries,
analytics and simulation.

Layer: above channels: may import channels and every domain below; never the runtime, the API or
the CLI.
"""

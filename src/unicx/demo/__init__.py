"""A realistic, reproducible demo stream of a Vietnamese omnichannel retailer (`unicx demo`)."""

from unicx.demo.generator import batches, generate_events

__all__ = ["batches", "generate_events"]

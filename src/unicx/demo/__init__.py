"""A realistic, reproducible demo stream of a Vietnamese omnichannel retailer (`unicx demo`).

Layer: beside workspace, below the runtime: may import config and errors only.
"""

from unicx.demo.generator import batches, generate_events

__all__ = ["batches", "generate_events"]

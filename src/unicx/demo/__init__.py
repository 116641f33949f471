"""A realistic, reproducible demo stream of a Vietnamese omnichannel retailer (`unicx demo`).

Layer: beside workspace, below the runtime: may import config and errors only.
"""

from unicx.demo.generator import batches, generate_events

# The file `unicx demo` leaves in its workspace: the next demo run may delete such a directory,
# and the dashboard shows its demo-only pages (the demo inbox) there.
DEMO_MARKER = ".unicx-demo"

__all__ = ["DEMO_MARKER", "batches", "generate_events"]

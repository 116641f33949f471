"""A realistic, reproducible demo stream of a Vietnamese omnichannel retailer (`unicx demo`).

Also its SMTP sink (sink.py), the demo inbox it fills (inbox.py, read by the dashboard's "Demo
inbox" page), the set-up through the API (prepare.py) and the live shoppers (live.py).
Layer: beside workspace, below the runtime (it may use the domains, never api/ or cli/).
"""

from unicx.demo.generator import batches, generate_events

# The file `unicx demo` leaves in its workspace: the next demo run may delete such a directory,
# and the dashboard shows its demo-only pages (the demo inbox) there.
DEMO_MARKER = ".unicx-demo"

__all__ = ["DEMO_MARKER", "batches", "generate_events"]

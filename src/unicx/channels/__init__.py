"""Channels: the outbox and its send lanes, e-mail/SMS/push/web/in-app/webhook providers, rendering,
messaging policy, suppressions, receipts and tracking links, audience destinations.

Layer: above personalize: may import personalize, privacy, identity, ingest, store and the bottom
modules; never journeys (journey node contents are installed in channels/render.py by
unicx.assembly).
"""

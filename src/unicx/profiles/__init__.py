"""Profiles: the single customer view (lookup, timeline), traits and computed traits, the ingest
pipeline pass, bulk imports and the derived-table chain (profiles/derived.py; consent and segment
refreshers are installed in profiles/downstream.py).

Layer: above identity: may import identity, ingest, auth, store and the bottom modules; never
privacy, segments or higher.
"""

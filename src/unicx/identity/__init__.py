"""Identity resolution: identifiers, their normalization, the identity graph (issue 3), keyed
tombstones; after a pass it calls the derived-table refresher installed in
:mod:`unicx.identity.changes`.

Layer: above ingest: may import ingest, auth, store and the bottom modules; never profiles or
higher (it calls them through identity/changes.py).
"""

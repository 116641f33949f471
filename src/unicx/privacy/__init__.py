"""Privacy: consent per purpose, export and erasure of a person, tombstones, audit log."""

"""Identity resolution: identifiers, their normalization, the identity graph (issue 3)."""

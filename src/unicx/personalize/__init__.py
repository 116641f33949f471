"""Offers and content blocks, sandboxed templates, next best action (bandits), sensitive traits.

Layer: above recommend: may import segments, profiles and everything below them.
"""

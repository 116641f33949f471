"""Offers and content blocks, sandboxed templates, next best action (bandits), sensitive traits."""

"""The journeys pages (one router, see pages.py); layout.py and graph.py draw the canvas."""

from unicx.web.journeys.pages import router

__all__ = ["router"]

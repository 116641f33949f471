"""The dashboard: server-rendered pages (Jinja2 + htmx, plotly charts) in Vietnamese and
English, over the same services as the API. No SQL here: pages call domain services."""

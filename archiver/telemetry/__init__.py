"""Telemetry: the figures that change every hour, kept as compact time series under
data/telemetry/ so that entity files change only when the entity does.

Owns the series' file format, how a sync appends to it, and how series are read back.

May import: the shared modules and itself. Never upstream, archive, history, capture, site
or cli (it is handed figures and blob readers, not responses or repositories).
"""

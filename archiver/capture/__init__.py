"""Captures: recorded OpenRouter responses (`files`), served over real HTTP on loopback
(`replay`) with deliberate faults (`faults`), for tests, benches and backfills.

May import: the shared modules and itself. Never upstream, archive, telemetry, history,
site or cli: a capture is just recorded HTTP.
"""

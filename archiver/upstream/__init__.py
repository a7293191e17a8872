"""Upstream: OpenRouter's responses, turned into the archive's entities.

Owns where OpenRouter is (`sources`, every URL path in one place), how it is fetched
(`fetch`: bounded, polite, size- and deadline-limited), what a listing is (`listing`), and
how responses become entities and telemetry figures (`entities`, `endpoints`, `fields`).

May import: the shared modules at the top of the package (errors, jsonvalue, jsonrepair,
canonical, paths, textsafe, times) and itself. Never the archive, telemetry, history,
capture, site or cli packages: it knows nothing of git.
"""

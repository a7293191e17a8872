"""Fixtures of the fault matrix: small real archives, copied for each test."""

from __future__ import annotations

from tests.small_captures import small_archive, small_base, small_captures

__all__ = ["small_archive", "small_base", "small_captures"]

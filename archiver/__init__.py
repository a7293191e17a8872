"""openrouter-archiver: an hour-by-hour git history of OpenRouter's public catalog."""

from __future__ import annotations

__version__ = "0.1.0"

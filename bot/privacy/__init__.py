"""Privacy: masking personal data in free text."""
from __future__ import annotations

from bot.privacy.redact import KINDS, Finding, contains_personal_data, find, redact

__all__ = ["KINDS", "Finding", "contains_personal_data", "find", "redact"]

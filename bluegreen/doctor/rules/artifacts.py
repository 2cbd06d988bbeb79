"""Rules of the area 'artifacts' (docs/doctor-rules.md)."""

from __future__ import annotations

"""Rules of the area 'sources' (docs/doctor-rules.md)."""

from __future__ import annotations

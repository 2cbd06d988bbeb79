"""Rules of the area 'network' (docs/doctor-rules.md)."""

from __future__ import annotations

"""Rules of the area 'ecs' (docs/doctor-rules.md)."""

from __future__ import annotations

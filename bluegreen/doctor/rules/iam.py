"""Rules of the area 'iam' (docs/doctor-rules.md)."""

from __future__ import annotations

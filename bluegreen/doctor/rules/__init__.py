"""Every rule, by area. Importing this package registers them all in `rule.RULES`."""

from bluegreen.doctor.rule import RULES
from bluegreen.doctor.rules import artifacts, ecs, iam, network, sources  # noqa: F401  (they register)

__all__ = ["RULES"]

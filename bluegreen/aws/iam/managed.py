"""The pinned AWS managed policies live in `bluegreen.policy.managed` (their JSON in
bluegreen/policy/managed/); this name stays for the tool's own callers."""

from bluegreen.policy.managed import managed_policy, pinned_arns, version

__all__ = ["managed_policy", "pinned_arns", "version"]

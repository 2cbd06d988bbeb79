"""The IAM policy evaluator lives in `bluegreen.policy.evaluate`, a leaf the sandbox may import
too; this name stays for the tool's own callers."""

from bluegreen.policy.evaluate import Context, Decision, Document, Policy, UnsupportedPolicy, denied, evaluate

__all__ = ["Context", "Decision", "Document", "Policy", "UnsupportedPolicy", "denied", "evaluate"]

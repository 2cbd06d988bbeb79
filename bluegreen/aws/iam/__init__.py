"""IAM, evaluated offline: the policy evaluator (`evaluate`), the pinned AWS managed policies
(`managed`) and what each service role must be allowed to do for a config (`needs`, `check`).
See docs/fidelity/iam.md."""

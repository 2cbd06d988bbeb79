"""IAM policies, evaluated offline: the evaluator (`evaluate`) and the pinned AWS managed
policies (`managed`). A leaf: standard library only, nothing else of the project, so both the
tool's checks (`bluegreen.aws.iam`) and the sandbox acting as a service with a role
(`bluegreen.sandbox.roles`) use the same decisions. See docs/fidelity/iam.md."""

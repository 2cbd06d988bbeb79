"""The sandbox's CodePipeline engine: pipeline executions that really run.

moto stores pipeline definitions; this package runs them. :mod:`.engine` starts executions
(CreatePipeline, StartPipelineExecution, EventBridge rules) and runs their actions in worker
threads; :mod:`.flow` moves executions through stages by CodePipeline's rules (stage locks,
SUPERSEDED / QUEUED / PARALLEL modes, stop, retry); :mod:`.actions` holds the action types
(CodeCommit, ECR and S3 sources, the CodeDeployToECS deploy); :mod:`.artifacts` keeps artifacts
as zips in the pipeline's artifact bucket; :mod:`.api` renders the state in CodePipeline's API
shapes; :mod:`.authorize` is the hook where the service's role is checked. The API operations
are answered by :mod:`bluegreen.sandbox.services.codepipeline`. docs/sandbox-pipelines.md
describes the behaviour and the choices made where AWS is silent.
"""

from .engine import PipelineEngine

__all__ = ["PipelineEngine"]

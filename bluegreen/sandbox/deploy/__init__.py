"""The sandbox's CodeDeploy deployment engine: ECS blue/green deployments that really move
traffic.

moto stores applications and deployment groups; this package runs deployments of them.
:mod:`.engine` creates deployments (one per group at a time), runs each in a worker thread and
continues, stops and rolls them back; :mod:`.lifecycle` is the state machine (AWS's lifecycle
events in order, the ready wait, the termination wait, failure and stop); :mod:`.steps` is what
the events do to ECS task sets (:class:`.ports.TaskSetControl`, the sandbox's ECS engine) and to
the load balancer (ModifyListener and DescribeListeners through the public endpoint,
:mod:`.frontdoor`); :mod:`.traffic` turns a deployment configuration into weight steps;
:mod:`.appspec` reads the AppSpec; :mod:`.api` renders deployments in CodeDeploy's shapes. The
operations are answered by :mod:`bluegreen.sandbox.services.codedeploy_deployments`.
docs/sandbox-deployments.md describes the behaviour and the choices made where AWS is silent.
"""

from .engine import DeploymentEngine

__all__ = ["DeploymentEngine"]

"""ECS services under the CODE_DEPLOY controller, with real tasks: the scheduler, task sets,
task addresses and logs. The ECS API handler (services/ecs_tasks.py) and CodeDeploy drive it;
the task runtime runs the containers and the ELBv2 wiring registers them. See
docs/sandbox-ecs-elb.md."""

from .addresses import AddressMap, NoFreeAddress
from .engine import EcsEngine
from .scheduler import Scheduler, Targets
from .tasksets import TaskSetControl, TaskSetView

__all__ = ["AddressMap", "EcsEngine", "NoFreeAddress", "Scheduler", "Targets", "TaskSetControl", "TaskSetView"]

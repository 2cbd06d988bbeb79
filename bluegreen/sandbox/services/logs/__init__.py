"""CloudWatch Logs: the reads of the task log groups answered from the task runtime (:mod:`.api`),
with AWS's paging (:mod:`.pages`) and term filter patterns (:mod:`.patterns`); moto keeps the
rest."""

from .api import TaskLogs

__all__ = ["TaskLogs"]

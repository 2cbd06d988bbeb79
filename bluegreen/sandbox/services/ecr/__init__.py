"""ECR: the control-plane API over moto's metadata (:mod:`.api`) and the data plane, an OCI
registry that ``docker push``/``pull`` reach on the sandbox port (:mod:`.registry`)."""

from .api import EcrHandler, MotoEcrGate
from .registry import Registry

__all__ = ["EcrHandler", "MotoEcrGate", "Registry"]

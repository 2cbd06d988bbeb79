"""One factory for AWS clients, whatever the target: the sandbox, a profile, the environment.

Clients are made once per service and shared across threads (boto3 clients are
thread-safe); the connection pool is sized to the applier's concurrency; retries use
botocore's adaptive mode so throttling slows us down instead of failing us.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from bluegreen import __version__
from bluegreen.errors import BadInput, Failed

SANDBOX_ACCESS_KEY = "testing"
SANDBOX_SECRET_KEY = "testing"  # the sandbox accepts any key; not a secret


@dataclass(frozen=True)
class Target:
    """Where calls go. `endpoint_url` set means the sandbox (or any AWS-compatible endpoint)."""

    endpoint_url: str | None = None
    profile: str | None = None
    region: str | None = None

    @property
    def is_sandbox(self) -> bool:
        return self.endpoint_url is not None


@dataclass(frozen=True)
class Identity:
    account: str
    arn: str
    user_id: str


class AwsSession:
    def __init__(self, target: Target, concurrency: int = 10, retry_mode: str = "adaptive",
                 max_attempts: int = 10) -> None:
        import boto3
        import botocore.config
        from botocore.exceptions import ProfileNotFound

        self.target = target
        options: dict[str, Any] = {"region_name": target.region}
        if target.profile:
            options["profile_name"] = target.profile
        if target.is_sandbox:
            options["aws_access_key_id"] = SANDBOX_ACCESS_KEY
            options["aws_secret_access_key"] = SANDBOX_SECRET_KEY
        try:
            self.boto = boto3.session.Session(**options)
        except ProfileNotFound:
            raise BadInput(
                f"--profile {target.profile}: no such profile in your AWS config",
                "run 'aws configure list-profiles' to see the profiles you have",
            ) from None
        if not self.boto.region_name:
            raise BadInput(
                "no AWS region is set",
                "pass --region, set AWS_REGION, or set 'region' in the config file",
            )
        self.region: str = self.boto.region_name
        self.botocore_config = botocore.config.Config(
            retries={"mode": retry_mode, "max_attempts": max_attempts},
            max_pool_connections=max(10, concurrency * 2),
            user_agent_appid=f"bluegreen-{__version__}",
            connect_timeout=10,
            read_timeout=60,
        )
        self._clients: dict[str, Any] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()
        self._call_hooks: list[tuple[str, Any]] = []

    def client(self, service: str) -> Any:
        """One client per service, made on first use. Creation is locked per service so
        that a cold discovery builds its clients in parallel."""
        client = self._clients.get(service)
        if client is not None:
            return client
        with self._lock:
            lock = self._locks.setdefault(service, threading.Lock())
        with lock:
            if service not in self._clients:
                extra = {"endpoint_url": self.target.endpoint_url} if self.target.endpoint_url else {}
                with self._lock:  # boto3's Session is not thread-safe while it builds clients
                    made = self.boto.client(service, config=self.botocore_config, **extra)
                for event, hook in self._call_hooks:
                    made.meta.events.register(event, hook)
                self._clients[service] = made
            return self._clients[service]

    def on_call(self, hook: Any, event: str = "before-call") -> None:
        """Call `hook(event_name=..., model=..., ...)` on botocore's `event` ("before-call",
        "after-call"...) of every API call of every client, present and future (tests count
        calls and inject crashes with it)."""
        with self._lock:
            self._call_hooks.append((event, hook))
            clients = list(self._clients.values())
        for client in clients:
            client.meta.events.register(event, hook)

    def identity(self) -> Identity:
        """sts:GetCallerIdentity, with every credential problem turned into one message."""
        from botocore.exceptions import (
            ClientError,
            EndpointConnectionError,
            NoCredentialsError,
            SSOError,
            TokenRetrievalError,
        )

        profile = self.target.profile or "default"
        try:
            answer = self.client("sts").get_caller_identity()
        except (TokenRetrievalError, SSOError):
            raise Failed(
                f"the AWS SSO session of profile {profile!r} has expired or was never started",
                f"run 'aws sso login --profile {profile}'",
            ) from None
        except NoCredentialsError:
            raise Failed(
                "no AWS credentials were found",
                "run 'aws configure' (or 'aws sso login'), pass --profile, or try the local "
                "sandbox with --sandbox",
            ) from None
        except EndpointConnectionError as exc:
            where = self.target.endpoint_url or f"the {self.region} endpoint"
            raise Failed(f"cannot reach {where} ({exc})", "check the network, or the sandbox") from None
        except ClientError as exc:
            from bluegreen.aws.errors import Meaning, meaning

            code, means = exc.response.get("Error", {}).get("Code", ""), meaning(exc)
            if means is Meaning.CREDENTIALS_EXPIRED:
                raise Failed("your AWS credentials have expired",
                             f"refresh them (e.g. 'aws sso login --profile {profile}')") from None
            # the one call here is sts:GetCallerIdentity, which any valid identity may make
            if means in (Meaning.CREDENTIALS_REFUSED, Meaning.ACCESS_DENIED):
                raise Failed(f"AWS refused these credentials ({code})",
                             "check AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or the profile") from None
            raise
        return Identity(answer["Account"], answer["Arn"], answer["UserId"])

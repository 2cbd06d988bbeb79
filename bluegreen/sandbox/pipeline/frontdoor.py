"""The engine's way to the AWS APIs: the sandbox's own front door, like any other client.

CodePipeline on AWS calls CodeCommit, ECR, S3, ECS and CodeDeploy as a client of those services;
the engine does the same, through the sandbox's public endpoint, so whatever the sandbox does for
those services (its checks, its own CodeCommit, the CodeDeploy deployment engine) answers the
engine exactly as it answers a user. Calls are retried on throttling (the router may throttle
them like any caller's).
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from typing import Any

from ..clients import TEST_ACCESS_KEY, TEST_SECRET_KEY

JSON_CONTENT_TYPE = "application/x-amz-json-1.1"
_THROTTLING = {"ThrottlingException", "Throttling", "TooManyRequestsException", "RequestLimitExceeded"}


class CallFailed(Exception):
    """An AWS error answered to a raw call (code and message as the service sent them)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class FrontDoor:
    def __init__(self, endpoint_url: str) -> None:
        self.endpoint_url = endpoint_url.rstrip("/")
        self._clients: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()
        self._session: Any = None
        # never through a proxy: the endpoint is on loopback
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def client(self, service: str, region: str) -> Any:
        """A boto3 client of ``service`` in ``region`` at the sandbox's endpoint (cached)."""
        import boto3
        from botocore.config import Config

        with self._lock:
            client = self._clients.get((service, region))
            if client is None:
                if self._session is None:
                    # a session of its own: boto3's default one is not safe to share across threads
                    self._session = boto3.session.Session()
                client = self._session.client(
                    service,
                    region_name=region,
                    endpoint_url=self.endpoint_url,
                    aws_access_key_id=TEST_ACCESS_KEY,
                    aws_secret_access_key=TEST_SECRET_KEY,
                    config=Config(
                        retries={"mode": "standard", "max_attempts": 5},
                        connect_timeout=5,
                        read_timeout=30,
                        s3={"addressing_style": "path"},
                    ),
                )
                self._clients[(service, region)] = client
            return client

    def call_json(self, signing_name: str, target: str, region: str, body: bytes) -> dict[str, Any]:
        """A JSON-protocol call with ``body`` sent as it is (a document the engine did not write,
        such as a task definition template, reaches the service unchanged); raises
        :class:`CallFailed` with the service's error."""
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials

        for attempt in range(5):
            request = AWSRequest(
                method="POST",
                url=self.endpoint_url + "/",
                data=body,
                headers={"Content-Type": JSON_CONTENT_TYPE, "X-Amz-Target": target},
            )
            SigV4Auth(Credentials(TEST_ACCESS_KEY, TEST_SECRET_KEY), signing_name, region).add_auth(request)
            prepared = request.prepare()
            http = urllib.request.Request(prepared.url, data=body, headers=dict(prepared.headers), method="POST")
            try:
                with self._opener.open(http, timeout=30) as resp:
                    return dict(json.loads(resp.read() or b"{}"))
            except urllib.error.HTTPError as err:
                payload = _error_payload(err.read())
                code = str(payload.get("__type", "")).rsplit("#", 1)[-1] or f"HTTP{err.code}"
                message = str(payload.get("message") or payload.get("Message") or "")
                if code in _THROTTLING and attempt < 4:
                    time.sleep(0.05 * 2**attempt)
                    continue
                raise CallFailed(code, message) from None
        raise CallFailed("ThrottlingException", "Rate exceeded")  # the last attempt raised already

    def close(self) -> None:
        with self._lock:
            clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            client.close()


def _error_payload(body: bytes) -> dict[str, Any]:
    try:
        value = json.loads(body or b"{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}

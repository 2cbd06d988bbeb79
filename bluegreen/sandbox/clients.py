"""boto3 clients that talk to moto directly (internal port), on behalf of the sandbox itself."""

from __future__ import annotations

import threading
from typing import Any

import boto3
from botocore.config import Config

TEST_ACCESS_KEY = "testing"
TEST_SECRET_KEY = "testing"


class MotoClients:
    def __init__(self, endpoint_url: str, region: str, account_id: str) -> None:
        self.endpoint_url = endpoint_url
        self.region = region
        self.account_id = account_id
        # boto3's default session: its loader caches service models, so clients made elsewhere
        # in this process (boto3.client(...)) do not parse the same models again.
        self._session = boto3._get_default_session()
        self._clients: dict[str, Any] = {}
        self._regions: dict[str, MotoClients] = {}
        self._lock = threading.Lock()
        self._config = Config(retries={"max_attempts": 1, "mode": "standard"})

    def _add_account(self, request: Any, **_: Any) -> None:
        request.headers["x-moto-account-id"] = self.account_id

    def get(self, name: str) -> Any:
        with self._lock:
            client = self._clients.get(name)
            if client is None:
                client = self._session.client(
                    name,
                    endpoint_url=self.endpoint_url,
                    region_name=self.region,
                    aws_access_key_id=TEST_ACCESS_KEY,
                    aws_secret_access_key=TEST_SECRET_KEY,
                    config=self._config,
                )
                client.meta.events.register("before-sign.*.*", self._add_account)
                self._clients[name] = client
            return client

    def for_region(self, region: str | None) -> MotoClients:
        """Clients of another region (the same account and moto): a request's checks read the
        region the request is for, which need not be the sandbox's own."""
        if not region or region == self.region:
            return self
        with self._lock:
            regional = self._regions.get(region)
            if regional is None:
                regional = self._regions[region] = MotoClients(self.endpoint_url, region, self.account_id)
            return regional

    def close(self) -> None:
        with self._lock:
            clients, self._clients = list(self._clients.values()), {}
            regions, self._regions = list(self._regions.values()), {}
        for c in clients:
            c.close()
        for r in regions:
            r.close()

"""The ECR data plane: an OCI distribution (registry v2) endpoint on the sandbox port.

``docker push`` / ``docker pull`` talk to ``/v2/...`` over plain HTTP on loopback (the Docker engine
allows plain HTTP to 127.0.0.0/8). Basic auth with the token of ``ecr.get_authorization_token``
(user ``AWS``) is required, as on ECR; a wrong or missing token gets 401 with a
``WWW-Authenticate`` challenge. A repository must exist in ECR (moto) or the push gets ECR's
``NAME_UNKNOWN``. A manifest put becomes an ECR image (``put_image`` into moto with the real
digest) and emits the ``ECR Image Action`` PUSH/SUCCESS event.

Blobs are content-addressed files under ``<state_dir>/registry``; uploads are streamed to disk.

Every request gets an answer in the distribution spec's error shape
(``{"errors": [{"code": "MANIFEST_INVALID", ...}]}``) with a 4xx for whatever the client got wrong:
a manifest that is not UTF-8 JSON, too large (:data:`MAX_MANIFEST`), of an unknown media type or
schema version, with descriptors that are not objects with a sha256 digest and a size, or that
names blobs or manifests the repository lacks; a body that stalls or ends early; a repository name
outside ECR's length limits. Only a fault of the sandbox itself is a 500.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import re
import secrets
import shutil
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from ...wire import status_line

log = logging.getLogger("bluegreen.sandbox.registry")

_ROUTE = re.compile(
    r"^/v2/(?P<name>[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*)"
    r"/(?P<kind>blobs/uploads|blobs|manifests|tags)(?:/(?P<ref>[^/]*))?/?$"
)
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
_TAG = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")
MANIFEST_TYPES = (
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.oci.image.index.v1+json",
)
INDEX_TYPES = (
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.index.v1+json",
)
CHUNK = 1 << 20
MAX_MANIFEST = 4 * 1024 * 1024  # the distribution reference implementation's limit
# ECR repository names are 2 to 256 characters (the path pattern above checks the characters).
NAME_LENGTHS = (2, 256)

StartResponse = Callable[..., Any]


@dataclass
class StoredManifest:
    digest: str
    media_type: str
    body: bytes
    size: int  # image size as ECR reports it: the sum of the layer sizes


@dataclass
class _Repo:
    blobs: set[str] = field(default_factory=set)
    manifests: dict[str, StoredManifest] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)


class RegistryError(Exception):
    def __init__(self, status: int, code: str, message: str, detail: Any = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.detail = status, code, message, detail


class EcrGate(Protocol):
    """What the registry needs from ECR. The sandbox passes one backed by moto."""

    def repository_exists(self, name: str) -> bool: ...

    def image_pushed(self, name: str, manifest: StoredManifest, tag: str | None) -> None:
        """Record the image in ECR and emit the push event; may raise RegistryError."""

    def find_manifest(self, name: str, ref: str) -> StoredManifest | None:
        """A manifest ECR knows (e.g. put by the ``put_image`` API) that the registry does not."""


class Registry:
    def __init__(self, root: Path, gate: EcrGate, host: str, account_id: str) -> None:
        self.root = root
        self.blob_dir = root / "blobs"
        self.upload_dir = root / "uploads"
        self.blob_dir.mkdir(parents=True, exist_ok=True)
        self.upload_dir.mkdir(parents=True, exist_ok=True)
        self.gate = gate
        self.host = host
        self.account_id = account_id
        self.password = secrets.token_urlsafe(32)
        self.repos: dict[str, _Repo] = {}
        self._uploads: dict[str, tuple[str, Path]] = {}  # uuid -> (repo, file)
        self._lock = threading.RLock()

    # --- auth --------------------------------------------------------------------------------

    @property
    def authorization_token(self) -> str:
        """What ECR's GetAuthorizationToken returns: base64 of ``AWS:<password>``."""
        return base64.b64encode(f"AWS:{self.password}".encode()).decode()

    def _check_auth(self, environ: dict[str, Any]) -> None:
        header = str(environ.get("HTTP_AUTHORIZATION", ""))
        if not header:
            raise RegistryError(401, "UNAUTHORIZED", "authentication required")
        scheme, _, value = header.partition(" ")
        ok = False
        if scheme.lower() == "basic":
            try:
                user, _, password = base64.b64decode(value.strip()).decode().partition(":")
            except ValueError:  # binascii.Error, UnicodeDecodeError, non-ASCII text
                user, password = "", ""
            ok = user == "AWS" and secrets.compare_digest(password, self.password)
        if not ok:
            raise RegistryError(
                401, "DENIED", "Your authorization token is invalid. Reauthenticate and try again."
            )

    # --- storage -----------------------------------------------------------------------------

    def _blob_path(self, digest: str) -> Path:
        return self.blob_dir / digest.replace(":", "_")

    def _repo(self, name: str, create: bool = False) -> _Repo:
        with self._lock:
            repo = self.repos.get(name)
            if repo is None:
                repo = _Repo()
                if create:
                    self.repos[name] = repo
            return repo

    def _require_repository(self, name: str) -> None:
        if not NAME_LENGTHS[0] <= len(name) <= NAME_LENGTHS[1]:
            raise RegistryError(400, "NAME_INVALID", "invalid repository name")
        if not self.gate.repository_exists(name):
            raise RegistryError(
                404,
                "NAME_UNKNOWN",
                f"The repository with name '{name}' does not exist in the registry with id '{self.account_id}'",
            )

    def has_blob(self, name: str, digest: str) -> bool:
        return digest in self._repo(name).blobs and self._blob_path(digest).is_file()

    # --- WSGI --------------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method = str(environ.get("REQUEST_METHOD", "GET")).upper()
        path = str(environ.get("PATH_INFO", ""))
        try:
            self._check_auth(environ)
            if path in ("/v2", "/v2/"):
                return self._reply(start_response, 200, b"{}", [("Content-Type", "application/json")], method)
            m = _ROUTE.match(path)
            if m is None:
                raise RegistryError(404, "NAME_INVALID", "invalid repository name")
            name, kind, ref = m.group("name"), m.group("kind"), m.group("ref") or ""
            if kind == "blobs/uploads":
                return self._uploads_route(environ, start_response, method, name, ref)
            if kind == "blobs":
                return self._blob_route(environ, start_response, method, name, ref)
            if kind == "manifests":
                return self._manifest_route(environ, start_response, method, name, ref)
            if kind == "tags" and ref == "list" and method == "GET":
                self._require_repository(name)
                tags = sorted(self._repo(name).tags)
                body = json.dumps({"name": name, "tags": tags}).encode()
                return self._reply(start_response, 200, body, [("Content-Type", "application/json")], method)
            raise RegistryError(405, "UNSUPPORTED", "The operation is unsupported.")
        except RegistryError as err:
            return self._error(start_response, err, method)
        except Exception as exc:  # never a stack trace to the client
            log.exception("registry failed on %s %s", method, path)
            return self._error(
                start_response, RegistryError(500, "UNKNOWN", f"sandbox registry error: {exc}"), method
            )

    def _reply(
        self,
        start_response: StartResponse,
        status: int,
        body: bytes = b"",
        headers: list[tuple[str, str]] | None = None,
        method: str = "GET",
        length: int | None = None,
    ) -> Iterable[bytes]:
        hs = [("Docker-Distribution-API-Version", "registry/2.0"), *list(headers or [])]
        hs.append(("Content-Length", str(len(body) if length is None else length)))
        start_response(status_line(status), hs)
        return [] if method == "HEAD" else [body]

    def _error(self, start_response: StartResponse, err: RegistryError, method: str) -> Iterable[bytes]:
        body = json.dumps(
            {"errors": [{"code": err.code, "message": err.message, "detail": err.detail}]}
        ).encode()
        headers = [("Content-Type", "application/json; charset=utf-8")]
        if err.status == 401:
            headers.append(
                ("WWW-Authenticate", f'Basic realm="http://{self.host}/",service="ecr.amazonaws.com"')
            )
        return self._reply(start_response, err.status, body, headers, method)

    # --- blobs -------------------------------------------------------------------------------

    def _blob_route(
        self, environ: dict[str, Any], start_response: StartResponse, method: str, name: str, digest: str
    ) -> Iterable[bytes]:
        if method not in ("GET", "HEAD"):
            raise RegistryError(405, "UNSUPPORTED", "The operation is unsupported.")
        if not _DIGEST.match(digest):
            raise RegistryError(400, "DIGEST_INVALID", "provided digest did not match uploaded content")
        self._require_repository(name)
        if not self.has_blob(name, digest):
            raise RegistryError(404, "BLOB_UNKNOWN", f"blob unknown to registry: {digest}")
        path = self._blob_path(digest)
        size = path.stat().st_size
        headers = [
            ("Content-Type", "application/octet-stream"),
            ("Docker-Content-Digest", digest),
            ("ETag", f'"{digest}"'),
        ]
        hs = [("Docker-Distribution-API-Version", "registry/2.0"), *headers, ("Content-Length", str(size))]
        start_response(status_line(200), hs)
        if method == "HEAD":
            return []
        return _file_chunks(path)

    def _uploads_route(
        self, environ: dict[str, Any], start_response: StartResponse, method: str, name: str, upload_id: str
    ) -> Iterable[bytes]:
        params = _query(environ)
        if method == "POST" and not upload_id:
            self._require_repository(name)
            mount, source = params.get("mount"), params.get("from")
            if mount and _DIGEST.match(mount) and source and self.has_blob(source, mount):
                self._repo(name, create=True).blobs.add(mount)
                return self._blob_created(start_response, name, mount)
            digest = params.get("digest")
            uid = str(uuid.uuid4())
            file = self.upload_dir / uid
            written = _write_body(environ, file, append=False)
            with self._lock:
                self._uploads[uid] = (name, file)
            if digest:  # monolithic upload
                return self._finish_upload(start_response, name, uid, digest)
            return self._upload_status(start_response, name, uid, written, 202)
        with self._lock:
            upload = self._uploads.get(upload_id)
        if upload is None or upload[0] != name:
            raise RegistryError(404, "BLOB_UPLOAD_UNKNOWN", "blob upload unknown to registry")
        file = upload[1]
        if method == "GET":
            return self._upload_status(start_response, name, upload_id, file.stat().st_size, 204)
        if method == "DELETE":
            with self._lock:
                self._uploads.pop(upload_id, None)
            file.unlink(missing_ok=True)
            return self._reply(start_response, 204)
        if method == "PATCH":
            current = file.stat().st_size
            content_range = str(environ.get("HTTP_CONTENT_RANGE", ""))
            if content_range:
                start = content_range.split("-", 1)[0].strip()
                if not start.isdigit() or int(start) != current:
                    raise RegistryError(416, "BLOB_UPLOAD_INVALID", "invalid content range")
            size = _write_body(environ, file, append=True)
            return self._upload_status(start_response, name, upload_id, size, 202)
        if method == "PUT":
            digest = params.get("digest", "")
            _write_body(environ, file, append=True)
            return self._finish_upload(start_response, name, upload_id, digest)
        raise RegistryError(405, "UNSUPPORTED", "The operation is unsupported.")

    def _upload_status(
        self, start_response: StartResponse, name: str, uid: str, size: int, status: int
    ) -> Iterable[bytes]:
        headers = [
            ("Location", f"/v2/{name}/blobs/uploads/{uid}"),
            ("Range", f"0-{max(size - 1, 0)}"),
            ("Docker-Upload-UUID", uid),
        ]
        return self._reply(start_response, status, b"", headers)

    def _finish_upload(
        self, start_response: StartResponse, name: str, uid: str, digest: str
    ) -> Iterable[bytes]:
        with self._lock:
            upload = self._uploads.pop(uid, None)
        if upload is None:  # finished or cancelled by another request meanwhile
            raise RegistryError(404, "BLOB_UPLOAD_UNKNOWN", "blob upload unknown to registry")
        file = upload[1]
        if not _DIGEST.match(digest):
            file.unlink(missing_ok=True)
            raise RegistryError(400, "DIGEST_INVALID", "provided digest did not match uploaded content")
        actual = _sha256_file(file)
        if actual != digest:
            file.unlink(missing_ok=True)
            raise RegistryError(
                400, "DIGEST_INVALID", "provided digest did not match uploaded content", {"digest": digest}
            )
        target = self._blob_path(digest)
        if target.exists():
            file.unlink(missing_ok=True)
        else:
            file.replace(target)
        self._repo(name, create=True).blobs.add(digest)
        return self._blob_created(start_response, name, digest)

    def _blob_created(self, start_response: StartResponse, name: str, digest: str) -> Iterable[bytes]:
        headers = [("Location", f"/v2/{name}/blobs/{digest}"), ("Docker-Content-Digest", digest)]
        return self._reply(start_response, 201, b"", headers)

    # --- manifests ---------------------------------------------------------------------------

    def manifest(self, name: str, ref: str) -> StoredManifest | None:
        repo = self._repo(name)
        digest = repo.tags.get(ref, ref)
        found = repo.manifests.get(digest)
        if found is None:
            found = self.gate.find_manifest(name, ref)
        return found

    def _manifest_route(
        self, environ: dict[str, Any], start_response: StartResponse, method: str, name: str, ref: str
    ) -> Iterable[bytes]:
        if not (_DIGEST.match(ref) or _TAG.match(ref)):
            raise RegistryError(400, "TAG_INVALID", "manifest tag did not match URI")
        self._require_repository(name)
        if method in ("GET", "HEAD"):
            found = self.manifest(name, ref)
            if found is None:
                raise RegistryError(404, "MANIFEST_UNKNOWN", f"Requested image not found: {ref}")
            headers = [
                ("Content-Type", found.media_type),
                ("Docker-Content-Digest", found.digest),
                ("ETag", f'"{found.digest}"'),
            ]
            return self._reply(start_response, 200, found.body, headers, method)
        if method == "PUT":
            body = _read_all(environ, MAX_MANIFEST + 1, "MANIFEST_INVALID")
            if len(body) > MAX_MANIFEST:
                raise RegistryError(400, "MANIFEST_INVALID", "manifest too large")
            stored = self._parse_manifest(name, body, str(environ.get("CONTENT_TYPE", "")))
            if _DIGEST.match(ref) and ref != stored.digest:
                raise RegistryError(400, "DIGEST_INVALID", "provided digest did not match uploaded content")
            tag = None if _DIGEST.match(ref) else ref
            try:
                self.gate.image_pushed(name, stored, tag)
            except RegistryError:
                raise
            except Exception as exc:  # ECR (moto) refused what passed the checks here
                log.debug("ECR refused the manifest of %s", name, exc_info=True)
                raise RegistryError(400, "MANIFEST_INVALID", f"manifest invalid: {exc}") from exc
            repo = self._repo(name, create=True)
            with self._lock:
                repo.manifests[stored.digest] = stored
                if tag is not None:
                    repo.tags[tag] = stored.digest
            headers = [
                ("Location", f"/v2/{name}/manifests/{stored.digest}"),
                ("Docker-Content-Digest", stored.digest),
            ]
            return self._reply(start_response, 201, b"", headers)
        if method == "DELETE":
            repo = self._repo(name)
            with self._lock:
                if repo.manifests.pop(ref, None) is None:
                    raise RegistryError(404, "MANIFEST_UNKNOWN", f"Requested image not found: {ref}")
                for t in [t for t, d in repo.tags.items() if d == ref]:
                    del repo.tags[t]
            return self._reply(start_response, 202)
        raise RegistryError(405, "UNSUPPORTED", "The operation is unsupported.")

    def _parse_manifest(self, name: str, body: bytes, content_type: str) -> StoredManifest:
        try:
            doc = json.loads(body.decode("utf-8"))
        except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
            raise RegistryError(400, "MANIFEST_INVALID", "manifest invalid: not UTF-8 JSON") from None
        if not isinstance(doc, dict):
            raise RegistryError(400, "MANIFEST_INVALID", "manifest invalid: not a JSON object")
        if doc.get("schemaVersion") != 2 or isinstance(doc.get("schemaVersion"), bool):
            raise RegistryError(400, "MANIFEST_INVALID", "manifest invalid: schemaVersion must be 2")
        declared = doc.get("mediaType")
        media_type = declared if isinstance(declared, str) and declared else content_type.split(";")[0].strip()
        if media_type not in MANIFEST_TYPES or (declared is not None and not isinstance(declared, str)):
            raise RegistryError(
                400, "MANIFEST_INVALID", f"manifest invalid: unsupported media type {str(media_type)[:100]!r}"
            )
        digest = "sha256:" + hashlib.sha256(body).hexdigest()
        size = 0
        if media_type in INDEX_TYPES:  # the referenced manifests must exist
            for child in _descriptors(doc.get("manifests"), "manifests"):
                if self.manifest(name, child["digest"]) is None:
                    raise RegistryError(400, "MANIFEST_UNKNOWN", f"manifest unknown: {child['digest']}")
        else:
            if not isinstance(doc.get("config"), dict) or not isinstance(doc.get("layers"), list):
                raise RegistryError(
                    400, "MANIFEST_INVALID", "manifest invalid: config and layers are required"
                )
            config = _descriptors([doc["config"]], "config")
            layers = _descriptors(doc["layers"], "layers")
            for ref in config + layers:
                if not self.has_blob(name, ref["digest"]):
                    raise RegistryError(
                        400, "MANIFEST_BLOB_UNKNOWN", f"blob unknown to registry: {ref['digest']}",
                        {"digest": ref["digest"]},
                    )
            size = sum(int(layer["size"]) for layer in layers)
        return StoredManifest(digest, media_type, body, size)

    # --- the ECR layer API (InitiateLayerUpload ... CompleteLayerUpload) ----------------------

    def api_initiate(self, name: str) -> str:
        uid = str(uuid.uuid4())
        file = self.upload_dir / uid
        file.write_bytes(b"")
        with self._lock:
            self._uploads[uid] = (name, file)
        return uid

    def api_upload_file(self, name: str, uid: str) -> Path | None:
        with self._lock:
            upload = self._uploads.get(uid)
        return upload[1] if upload and upload[0] == name else None

    def api_complete(self, name: str, uid: str, digest: str) -> None:
        """Raises RegistryError DIGEST_INVALID on a mismatch (the upload is then dropped)."""
        with self._lock:
            upload = self._uploads.pop(uid, None)
        assert upload is not None
        file = upload[1]
        if not _DIGEST.match(digest) or _sha256_file(file) != digest:
            file.unlink(missing_ok=True)
            raise RegistryError(400, "DIGEST_INVALID", "provided digest did not match uploaded content")
        target = self._blob_path(digest)
        if target.exists():
            file.unlink(missing_ok=True)
        else:
            file.replace(target)
        self._repo(name, create=True).blobs.add(digest)

    def blob_size(self, name: str, digest: str) -> int | None:
        return self._blob_path(digest).stat().st_size if self.has_blob(name, digest) else None

    def size_of(self, name: str, digest: str) -> int | None:
        found = self._repo(name).manifests.get(digest)
        return found.size if found else None

    def close(self) -> None:
        with self._lock:
            uploads, self._uploads = list(self._uploads.values()), {}
        for _, file in uploads:
            file.unlink(missing_ok=True)


def _query(environ: dict[str, Any]) -> dict[str, str]:
    from urllib.parse import parse_qs

    return {k: v[-1] for k, v in parse_qs(str(environ.get("QUERY_STRING", ""))).items()}


def _body_stream(environ: dict[str, Any]) -> tuple[Any, int | None]:
    stream = environ.get("wsgi.input")
    if environ.get("wsgi.input_terminated"):
        return stream, None
    try:
        return stream, int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return stream, 0


def _write_body(environ: dict[str, Any], file: Path, append: bool) -> int:
    stream, remaining = _body_stream(environ)
    with open(file, "ab" if append else "wb") as out:
        while stream is not None and (remaining is None or remaining > 0):
            chunk = _read(stream, CHUNK if remaining is None else min(CHUNK, remaining), "BLOB_UPLOAD_INVALID")
            if not chunk:
                break
            out.write(chunk)
            if remaining is not None:
                remaining -= len(chunk)
        return out.tell()


def _read_all(environ: dict[str, Any], limit: int, code: str) -> bytes:
    """The body, at most ``limit`` bytes of it."""
    stream, remaining = _body_stream(environ)
    if stream is None:
        return b""
    return _read(stream, limit if remaining is None else min(limit, remaining), code)


def _read(stream: Any, size: int, code: str) -> bytes:
    """A read of the request body; a body that stalls (the connection's read timeout) or ends
    early is the client's fault: a 400 with ``code``."""
    try:
        return bytes(stream.read(size))
    except OSError as exc:
        raise RegistryError(400, code, f"the request body could not be read: {exc}") from None


def _descriptors(value: Any, field_name: str) -> list[dict[str, Any]]:
    """Content descriptors (``{"mediaType", "digest", "size"}``): a list of objects, each with a
    sha256 digest and a non-negative integer size; MANIFEST_INVALID for anything else."""
    if not isinstance(value, list):
        raise RegistryError(400, "MANIFEST_INVALID", f"manifest invalid: {field_name} must be a list")
    for item in value:
        ok = (
            isinstance(item, dict)
            and isinstance(item.get("digest"), str)
            and _DIGEST.match(item["digest"]) is not None
            and isinstance(item.get("size"), int)
            and not isinstance(item.get("size"), bool)
            and item["size"] >= 0
            and isinstance(item.get("mediaType"), str)
        )
        if not ok:
            raise RegistryError(
                400, "MANIFEST_INVALID",
                f"manifest invalid: each of {field_name} needs a mediaType, a sha256 digest and a size",
            )
    return value


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
    return "sha256:" + h.hexdigest()


def _file_chunks(path: Path) -> Iterable[bytes]:
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            yield chunk


def remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)

"""A content-addressed git object store (blobs, trees, commits), as CodeCommit keeps them.

Object ids are real git SHA-1 ids. With a directory, objects are written as git loose objects
(``objects/ab/cdef...``, zlib of ``type len\\0content``), so they survive the process.
"""

from __future__ import annotations

import hashlib
import threading
import zlib
from dataclasses import dataclass
from pathlib import Path

FILE_MODES = {"NORMAL": "100644", "EXECUTABLE": "100755", "SYMLINK": "120000"}
MODE_NAMES = {v: k for k, v in FILE_MODES.items()}
TREE_MODE = "40000"


@dataclass(frozen=True)
class Entry:
    blob_id: str
    mode: str  # git mode: 100644, 100755, 120000


@dataclass(frozen=True)
class Person:
    name: str
    email: str
    date: str  # "<unix seconds> +0000", CodeCommit's format


@dataclass(frozen=True)
class Commit:
    commit_id: str
    tree_id: str
    parents: tuple[str, ...]
    author: Person
    committer: Person
    message: str


class ObjectStore:
    def __init__(self, root: Path | None = None) -> None:
        self.root = root
        self._mem: dict[str, tuple[str, bytes]] = {}
        self._lock = threading.Lock()

    # --- raw objects -------------------------------------------------------------------------

    def put(self, kind: str, data: bytes) -> str:
        raw = f"{kind} {len(data)}".encode() + b"\0" + data
        oid = hashlib.sha1(raw).hexdigest()
        with self._lock:
            if oid in self._mem:
                return oid
            self._mem[oid] = (kind, data)
        if self.root is not None:
            path = self.root / oid[:2] / oid[2:]
            if not path.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_suffix(".tmp")
                tmp.write_bytes(zlib.compress(raw))
                tmp.replace(path)
        return oid

    def get(self, oid: str) -> tuple[str, bytes] | None:
        with self._lock:
            found = self._mem.get(oid)
        if found is not None or self.root is None:
            return found
        path = self.root / oid[:2] / oid[2:]
        if not path.is_file() or len(oid) != 40:
            return None
        raw = zlib.decompress(path.read_bytes())
        header, _, data = raw.partition(b"\0")
        kind = header.split(b" ", 1)[0].decode()
        with self._lock:
            self._mem[oid] = (kind, data)
        return kind, data

    def has(self, oid: str, kind: str) -> bool:
        found = self.get(oid)
        return found is not None and found[0] == kind

    # --- blobs, trees, commits ---------------------------------------------------------------

    def put_blob(self, data: bytes) -> str:
        return self.put("blob", data)

    def blob(self, oid: str) -> bytes | None:
        found = self.get(oid)
        return found[1] if found and found[0] == "blob" else None

    def write_tree(self, files: dict[str, Entry]) -> str:
        """Write the nested trees for a flat ``path -> Entry`` map; returns the root tree id."""
        children: dict[str, dict[str, Entry]] = {}
        here: dict[str, tuple[str, str]] = {}  # name -> (mode, id)
        for path, entry in files.items():
            head, sep, rest = path.partition("/")
            if sep:
                children.setdefault(head, {})[rest] = entry
            else:
                here[head] = (entry.mode, entry.blob_id)
        for name, sub in children.items():
            here[name] = (TREE_MODE, self.write_tree(sub))

        def sort_key(item: tuple[str, tuple[str, str]]) -> bytes:
            name, (mode, _) = item
            return (name + "/" if mode == TREE_MODE else name).encode()

        data = b"".join(
            f"{mode} {name}".encode() + b"\0" + bytes.fromhex(oid)
            for name, (mode, oid) in sorted(here.items(), key=sort_key)
        )
        return self.put("tree", data)

    def tree_entries(self, tree_id: str) -> list[tuple[str, str, str]]:
        """``(mode, name, id)`` of one tree."""
        found = self.get(tree_id)
        if not found or found[0] != "tree":
            return []
        data, out, i = found[1], [], 0
        while i < len(data):
            sp = data.index(b" ", i)
            nul = data.index(b"\0", sp)
            mode, name = data[i:sp].decode(), data[sp + 1 : nul].decode()
            oid = data[nul + 1 : nul + 21].hex()
            out.append((mode, name, oid))
            i = nul + 21
        return out

    def flatten(self, tree_id: str, prefix: str = "") -> dict[str, Entry]:
        files: dict[str, Entry] = {}
        for mode, name, oid in self.tree_entries(tree_id):
            path = f"{prefix}{name}"
            if mode == TREE_MODE:
                files.update(self.flatten(oid, path + "/"))
            else:
                files[path] = Entry(oid, mode)
        return files

    def subtree(self, tree_id: str, folder: str) -> str | None:
        """The id of the tree at ``folder`` ('' = root), or None."""
        oid = tree_id
        for part in [p for p in folder.split("/") if p]:
            match = [e for e in self.tree_entries(oid) if e[1] == part and e[0] == TREE_MODE]
            if not match:
                return None
            oid = match[0][2]
        return oid

    def write_commit(
        self, tree_id: str, parents: list[str], author: Person, committer: Person, message: str
    ) -> str:
        lines = [f"tree {tree_id}"]
        lines += [f"parent {p}" for p in parents]
        lines.append(f"author {author.name} <{author.email}> {author.date}")
        lines.append(f"committer {committer.name} <{committer.email}> {committer.date}")
        text = "\n".join(lines) + "\n\n" + message
        return self.put("commit", text.encode())

    def commit(self, oid: str) -> Commit | None:
        found = self.get(oid)
        if not found or found[0] != "commit":
            return None
        head, _, message = found[1].decode().partition("\n\n")
        tree, parents = "", []
        people: dict[str, Person] = {}
        for line in head.splitlines():
            key, _, value = line.partition(" ")
            if key == "tree":
                tree = value
            elif key == "parent":
                parents.append(value)
            elif key in ("author", "committer"):
                name, _, rest = value.partition(" <")
                email, _, date = rest.partition("> ")
                people[key] = Person(name, email, date)
        return Commit(oid, tree, tuple(parents), people["author"], people["committer"], message)

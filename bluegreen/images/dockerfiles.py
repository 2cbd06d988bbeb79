"""Dockerfiles in a working directory and the ports they EXPOSE (no Docker engine needed).

`find_dockerfiles(root)` walks a few levels down (skipping VCS, dependency and virtualenv
folders) for `Dockerfile`, `Dockerfile.<variant>`, `<variant>.Dockerfile` and `Containerfile`,
and reads the EXPOSE ports of each. The parser follows the Dockerfile grammar where it matters
here: parser directives (`# escape=`), line continuations, comment lines (also inside a
continuation), heredocs, `ARG`/`ENV` substitution (`$P`, `${P}`, `${P:-8080}`, `${P-8080}`,
`${P:+…}`), `80/tcp`, `53/udp`, ranges, several ports per line, and multi-stage builds (the ports of
the final stage, including those it inherits from an earlier stage it is built `FROM`).
A value that cannot be resolved offline (`EXPOSE $PORT` with no default) is reported in
`unresolved` rather than guessed.
"""

from __future__ import annotations

import os
import re
import shlex
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

SKIP_DIRS = frozenset({
    ".git", ".hg", ".svn", "node_modules", "__pycache__", ".venv", "venv", ".tox", ".nox",
    ".mypy_cache", ".pytest_cache", ".ruff_cache", ".eggs", "site-packages", ".terraform",
    ".idea", ".vscode", "bower_components", ".cache",
})
_NOT_DOCKERFILE_SUFFIXES = (".dockerignore", ".swp", ".swo", ".bak", ".orig", ".rej", ".tmp", "~")
_PROTOCOLS = ("tcp", "udp", "sctp")
MAX_RANGE = 256  # a wider EXPOSE range is reported, not expanded
MAX_BYTES = 1_000_000


@dataclass(frozen=True, order=True)
class ExposedPort:
    port: int
    protocol: str = "tcp"

    def __str__(self) -> str:
        return f"{self.port}/{self.protocol}"


@dataclass(frozen=True)
class Dockerfile:
    path: Path
    ports: tuple[ExposedPort, ...]
    unresolved: tuple[str, ...] = ()  # EXPOSE values that could not be resolved offline
    error: str = ""  # the file could not be read

    @property
    def port(self) -> int | None:
        """The first exposed TCP port: the natural container port for the load balancer."""
        return next((p.port for p in self.ports if p.protocol == "tcp"), None)


def is_dockerfile_name(name: str) -> bool:
    lower = name.lower()
    if lower.endswith(_NOT_DOCKERFILE_SUFFIXES):
        return False
    return (
        lower in ("dockerfile", "containerfile")
        or lower.endswith(".dockerfile")
        or (lower.startswith(("dockerfile.", "containerfile.")) and len(lower) > len("dockerfile."))
    )


def find_dockerfiles(root: str | os.PathLike[str] = ".", max_depth: int = 3) -> list[Dockerfile]:
    """Dockerfiles under `root` (files in `root` are depth 0), shallowest first, then by path."""
    found: list[tuple[int, str, Path]] = []
    queue: deque[tuple[Path, int]] = deque([(Path(root), 0)])
    # A linked folder is followed (a project may link its build context in), each real
    # folder once: a link back up the tree cannot loop.
    seen: set[str] = {os.path.realpath(root)}
    while queue:
        folder, depth = queue.popleft()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.is_dir():
                    real = os.path.realpath(entry.path)
                    if depth < max_depth and not _skipped_dir(entry) and real not in seen:
                        seen.add(real)
                        queue.append((folder / entry.name, depth + 1))
                elif entry.is_file() and is_dockerfile_name(entry.name):
                    found.append((depth, str(folder / entry.name), folder / entry.name))
            except OSError:
                continue
    return [exposed_ports(path) for _, _, path in sorted(found, key=lambda f: (f[0], f[1]))]


def _skipped_dir(entry: os.DirEntry[str]) -> bool:
    if entry.name in SKIP_DIRS or entry.name.endswith(".egg-info"):
        return True
    return os.path.exists(os.path.join(entry.path, "pyvenv.cfg"))  # a virtualenv by any name


def exposed_ports(path: str | os.PathLike[str]) -> Dockerfile:
    """Read one Dockerfile and return it with the ports its final stage exposes."""
    p = Path(path)
    try:
        with p.open("rb") as fh:
            text = fh.read(MAX_BYTES).decode("utf-8", errors="replace")
    except OSError as exc:
        return Dockerfile(p, (), (), f"cannot read {p}: {exc.strerror or exc}")
    ports, unresolved = parse_exposed_ports(text)
    return Dockerfile(p, ports, unresolved)


# -- parsing --------------------------------------------------------------------------


@dataclass
class _Stage:
    name: str
    base: str
    env: dict[str, str | None] = field(default_factory=dict)  # inherited by child stages
    args: dict[str, str | None] = field(default_factory=dict)  # not inherited

    def scope(self) -> dict[str, str | None]:
        return {**self.args, **self.env}  # ENV wins over ARG of the same name

    ports: list[ExposedPort] = field(default_factory=list)
    unresolved: list[str] = field(default_factory=list)


_DIRECTIVE = re.compile(r"^#\s*([A-Za-z_]+)\s*=\s*(\S+)\s*$")
_HEREDOC = re.compile(r"<<(-?)\s*([\"']?)([A-Za-z_][A-Za-z0-9_]*)\2")
_VAR = re.compile(
    r"\$(?:\{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-+])(?P<word>[^}]*))?\}"
    r"|(?P<bare>[A-Za-z_][A-Za-z0-9_]*))"
)


def parse_exposed_ports(text: str) -> tuple[tuple[ExposedPort, ...], tuple[str, ...]]:
    """The ports the final stage of a Dockerfile exposes, and the values it could not resolve."""
    global_args: dict[str, str | None] = {}
    stages: list[_Stage] = []
    for keyword, args in _instructions(text):
        if keyword == "FROM":
            stages.append(_from(args, global_args, stages))
        elif keyword == "ARG":
            for name, value in _assignments(args, allow_bare=True):
                if not stages:
                    global_args[name] = _substitute(value, global_args) if value is not None else None
                elif value is not None:
                    stages[-1].args[name] = _substitute(value, stages[-1].scope())
                else:  # ARG NAME in a stage: the global default, if any
                    stages[-1].args[name] = global_args.get(name)
        elif keyword == "ENV" and stages:
            for name, value in _env_assignments(args):
                stages[-1].env[name] = _substitute(value, stages[-1].scope()) if value is not None else None
        elif keyword == "EXPOSE" and stages:
            _expose(args, stages[-1])
    if not stages:
        return (), ()
    ports: list[ExposedPort] = []
    unresolved: list[str] = []
    for stage in _lineage(stages):
        ports.extend(stage.ports)
        unresolved.extend(stage.unresolved)
    return tuple(dict.fromkeys(ports)), tuple(dict.fromkeys(unresolved))


def _instructions(text: str) -> Iterator[tuple[str, str]]:
    """(KEYWORD, arguments) per logical line, after continuations, comments and heredocs."""
    lines = text.splitlines()
    escape = "\\"
    i = 0
    while i < len(lines):  # parser directives: only at the very top
        m = _DIRECTIVE.match(lines[i].strip())
        if not m:
            break
        if m.group(1).lower() == "escape" and m.group(2) in ("\\", "`"):
            escape = m.group(2)
        i += 1
    while i < len(lines):
        line = lines[i].strip()
        i += 1
        if not line or line.startswith("#"):
            continue
        parts: list[str] = []
        while line.endswith(escape):
            parts.append(line[: -len(escape)])
            line = ""
            while i < len(lines):
                nxt = lines[i].strip()
                i += 1
                if nxt and not nxt.startswith("#"):
                    line = nxt
                    break
            else:
                break
        parts.append(line)
        logical = " ".join(p.strip() for p in parts).strip()
        keyword, _, args = logical.partition(" ")
        keyword = keyword.upper()
        if keyword in ("RUN", "COPY", "ADD"):
            for m in _HEREDOC.finditer(args):  # skip each heredoc body up to its delimiter
                strip_tabs, word = m.group(1) == "-", m.group(3)
                while i < len(lines):
                    body_line = lines[i].lstrip("\t") if strip_tabs else lines[i]
                    i += 1
                    if body_line.rstrip("\r") == word:
                        break
        if keyword:
            yield keyword, args.strip()


def _from(args: str, global_args: dict[str, str | None], stages: list[_Stage]) -> _Stage:
    words = [w for w in args.split() if not w.startswith("--")]
    base = (_substitute(words[0], global_args) or words[0]) if words else ""
    name = words[2] if len(words) >= 3 and words[1].lower() == "as" else ""
    stage = _Stage(name=name.lower(), base=base.lower())
    parent = _stage_named(stages, stage.base)
    if parent is not None:
        stage.env.update(parent.env)
    return stage


def _stage_named(stages: list[_Stage], ref: str) -> _Stage | None:
    for stage in reversed(stages):
        if stage.name and stage.name == ref:
            return stage
    if ref.isdigit() and int(ref) < len(stages):
        return stages[int(ref)]
    return None


def _lineage(stages: list[_Stage]) -> list[_Stage]:
    """The final stage and the earlier stages it is built FROM, oldest first."""
    chain = [stages[-1]]
    earlier = stages[:-1]
    while True:
        parent = _stage_named(earlier, chain[-1].base)
        if parent is None or parent in chain:
            break
        chain.append(parent)
        earlier = earlier[: earlier.index(parent)]
    return list(reversed(chain))


def _unquote(word: str) -> str:
    if len(word) >= 2 and word[0] == word[-1] and word[0] in "\"'":
        return word[1:-1]
    return word


def _words(args: str) -> list[str]:
    """Shell-like words (quotes grouped and removed); plain whitespace split if quotes are unbalanced."""
    try:
        return shlex.split(args, comments=True)
    except ValueError:
        return [_unquote(w) for w in args.split()]


def _assignments(args: str, allow_bare: bool) -> Iterator[tuple[str, str | None]]:
    for word in _words(args):
        name, eq, value = word.partition("=")
        if eq:
            yield name, value
        elif allow_bare:
            yield name, None


def _env_assignments(args: str) -> Iterator[tuple[str, str | None]]:
    first = args.split(None, 1)
    if first and "=" not in first[0]:  # legacy form: ENV NAME value with spaces
        yield first[0], _unquote(first[1].strip()) if len(first) > 1 else ""
        return
    yield from _assignments(args, allow_bare=False)


def _substitute(word: str, env: dict[str, str | None]) -> str | None:
    """`word` with variables replaced; None when one of them has no known value."""
    missing = False

    def repl(m: re.Match[str]) -> str:
        nonlocal missing
        name = m.group("braced") or m.group("bare")
        value = env.get(name)
        op, alt = m.group("op"), m.group("word") or ""
        if op == ":-":
            return value if value else _substitute(alt, env) or ""
        if op == "-":
            return value if value is not None else _substitute(alt, env) or ""
        if op == ":+":
            return alt if value else ""
        if op == "+":
            return alt if value is not None else ""
        if value is None:
            missing = True
            return ""
        return value

    result = _VAR.sub(repl, word)
    return None if missing else result


def _expose(args: str, stage: _Stage) -> None:
    for raw in args.split():
        if raw.startswith("#"):
            break
        word = _unquote(raw)
        value = _substitute(word, stage.scope())
        if value is None:
            stage.unresolved.append(raw)
            continue
        for item in value.split():  # a variable may hold several ports
            ports = _parse_port_spec(item)
            if ports is None:
                stage.unresolved.append(raw if item == value else f"{raw} ({item})")
            else:
                stage.ports.extend(ports)


def _parse_port_spec(spec: str) -> list[ExposedPort] | None:
    number, _, protocol = spec.partition("/")
    protocol = (protocol or "tcp").lower()
    if protocol not in _PROTOCOLS:
        return None
    low, dash, high = number.partition("-")
    if not low.isdigit() or (dash and not high.isdigit()):
        return None
    first, last = int(low), int(high) if dash else int(low)
    if not 1 <= first <= last <= 65535 or last - first >= MAX_RANGE:
        return None
    return [ExposedPort(p, protocol) for p in range(first, last + 1)]

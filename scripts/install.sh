#!/usr/bin/env bash
# Bootstrap a machine for bluegreen development and CI (Debian/Ubuntu, as root). Idempotent:
#   1. apt packages docker.io busybox-static tmux chromium (apt-get update + install only if missing)
#   2. pip install -e '.[test,dev]' from the repository root
#   3. a reachable Docker engine (starts `dockerd --storage-driver=vfs` if none answers)
# Quiet by design: one line per step; on failure the tail of the step's log is printed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
APT_PACKAGES=(docker.io busybox-static tmux chromium)  # chromium: the browser test of `bluegreen serve`
INSTALL_LOG="${BLUEGREEN_INSTALL_LOG:-/tmp/bluegreen-install.log}"
DOCKERD_LOG="${BLUEGREEN_DOCKERD_LOG:-/tmp/bluegreen-dockerd.log}"
DOCKERD_WAIT_S="${BLUEGREEN_DOCKERD_WAIT_S:-60}"

say() { printf 'install: %s\n' "$*"; }
die() { printf 'install: ERROR: %s\n' "$*" >&2; exit 1; }
fail_with_log() { # message, log file
    printf 'install: ERROR: %s; last lines of %s:\n' "$1" "$2" >&2
    tail -n 25 "$2" >&2 || true
    exit 1
}

: >"$INSTALL_LOG"

# --- 1. system packages ---------------------------------------------------------------------
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
    status="$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)"
    [[ "$status" == "install ok installed" ]] || missing+=("$pkg")
done
if ((${#missing[@]} == 0)); then
    say "apt: ${APT_PACKAGES[*]} already installed"
else
    ((EUID == 0)) || die "missing packages ${missing[*]}: run this script as root"
    command -v apt-get >/dev/null || die "missing packages ${missing[*]} and no apt-get"
    say "apt: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive NEEDRESTART_MODE=a
    apt-get update -qq >>"$INSTALL_LOG" 2>&1 || fail_with_log "apt-get update failed" "$INSTALL_LOG"
    apt-get install -y -qq "${missing[@]}" >>"$INSTALL_LOG" 2>&1 \
        || fail_with_log "apt-get install ${missing[*]} failed" "$INSTALL_LOG"
fi

# --- 2. Python package (editable, with test and dev extras) ---------------------------------
PYTHON="$(command -v python || command -v python3 || true)"
[[ -n "$PYTHON" ]] || die "no python or python3 on PATH (Python >= 3.11 is required)"
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
    || die "$PYTHON is $("$PYTHON" -V 2>&1); Python >= 3.11 is required"
say "pip: installing -e '.[test,dev]' into $("$PYTHON" -V 2>&1) ($PYTHON)"
# PIP_BREAK_SYSTEM_PACKAGES: a fresh CI machine may only have Debian's (PEP 668) python.
(cd "$ROOT" && PIP_BREAK_SYSTEM_PACKAGES=1 "$PYTHON" -m pip install -q \
    --disable-pip-version-check --root-user-action=ignore -e '.[test,dev]') \
    >>"$INSTALL_LOG" 2>&1 || fail_with_log "pip install -e '.[test,dev]' failed" "$INSTALL_LOG"

# --- 3. Docker engine -----------------------------------------------------------------------
docker_up() { timeout 10 docker info >/dev/null 2>&1; }
engine_version() { docker info --format '{{.ServerVersion}} ({{.Driver}})' 2>/dev/null || true; }

if docker_up; then
    say "docker: engine reachable, $(engine_version)"
    exit 0
fi
command -v docker >/dev/null || die "no docker CLI on PATH (Debian package docker.io)"
if [[ -n "${DOCKER_HOST:-}" && "$DOCKER_HOST" != "unix:///var/run/docker.sock" ]]; then
    die "DOCKER_HOST=$DOCKER_HOST is not reachable; fix or unset it (a local dockerd would not be used)"
fi

# Any process named dockerd (no procps on a fresh machine: read /proc).
dockerd_pids() {
    local p
    for p in /proc/[0-9]*; do
        [[ "$(cat "$p/comm" 2>/dev/null)" == dockerd ]] && printf '%s ' "${p#/proc/}"
    done
    return 0
}

running="$(dockerd_pids)"
if [[ -n "$running" ]]; then
    # Already starting (or stuck): wait for it rather than fork a second daemon.
    say "docker: dockerd (pid ${running% }) running but not answering yet; waiting"
else
    ((EUID == 0)) || die "no Docker engine reachable and not root: cannot start dockerd"
    command -v dockerd >/dev/null || die "no dockerd on PATH (Debian package docker.io)"
    say "docker: starting dockerd --storage-driver=vfs (log: $DOCKERD_LOG)"
    # setsid + nohup: the daemon outlives this script, its session and its terminal.
    setsid nohup dockerd --storage-driver=vfs >"$DOCKERD_LOG" 2>&1 </dev/null &
    sleep 1
fi

deadline=$((SECONDS + DOCKERD_WAIT_S))
until docker_up; do
    [[ -n "$(dockerd_pids)" ]] \
        || fail_with_log "dockerd exited before the engine came up" "$DOCKERD_LOG"
    ((SECONDS < deadline)) \
        || fail_with_log "docker engine not reachable after ${DOCKERD_WAIT_S}s" "$DOCKERD_LOG"
    sleep 1
done
say "docker: engine up, $(engine_version)"

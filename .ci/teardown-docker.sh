#!/usr/bin/env bash
# Stop the dockerd that .ci/setup-docker.sh started, and nothing else.
set -euo pipefail

STATE_DIR="${TMPDIR:-/tmp}"
PIDFILE="${CONVEX_TUI_DOCKERD_PIDFILE:-$STATE_DIR/convex-tui-dockerd.pid}"
STOP_TIMEOUT="${CONVEX_TUI_DOCKERD_STOP_TIMEOUT:-30}"

say() { printf 'teardown-docker: %s\n' "$*"; }

as_root() {
    if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo -n "$@"; fi
}

if [[ ! -f "$PIDFILE" ]]; then
    say "no $PIDFILE: setup-docker.sh did not start dockerd; nothing to stop"
    exit 0
fi
pid="$(cat "$PIDFILE")"
# Only signal the pid if it still is a dockerd (the pid may have been reused).
if [[ "$(cat "/proc/$pid/comm" 2>/dev/null)" != dockerd ]]; then
    say "dockerd $pid is already gone"
    as_root rm -f "$PIDFILE"
    exit 0
fi
say "stopping dockerd $pid"
as_root kill -TERM "$pid"
deadline=$((SECONDS + STOP_TIMEOUT))
while [[ -d "/proc/$pid" ]]; do
    if ((SECONDS >= deadline)); then
        say "dockerd $pid still running after ${STOP_TIMEOUT}s: sending KILL"
        as_root kill -KILL "$pid" || true
        break
    fi
    sleep 0.2
done
as_root rm -f "$PIDFILE"
say "done"

#!/usr/bin/env bash
# Give the docker tests an engine and a tiny local image. Idempotent: run it as often as you like.
#
#  1. installs Debian's docker.io and busybox-static when missing (needs root or sudo);
#  2. starts `dockerd --iptables=false --bridge=none` when no engine answers, and records that in
#     $CONVEX_TUI_DOCKERD_PIDFILE so .ci/teardown-docker.sh stops only what this script started;
#  3. waits (bounded) until `docker info` answers;
#  4. builds convex-tui-test/busybox:latest with `docker import` (images cannot be pulled here).
set -euo pipefail

IMAGE="${CONVEX_TUI_TEST_IMAGE:-convex-tui-test/busybox:latest}"
STATE_DIR="${TMPDIR:-/tmp}"
PIDFILE="${CONVEX_TUI_DOCKERD_PIDFILE:-$STATE_DIR/convex-tui-dockerd.pid}"
LOGFILE="${CONVEX_TUI_DOCKERD_LOG:-$STATE_DIR/convex-tui-dockerd.log}"
READY_TIMEOUT="${CONVEX_TUI_DOCKERD_TIMEOUT:-60}"

say() { printf 'setup-docker: %s\n' "$*"; }

as_root() {
    if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo -n "$@"; fi
}

engine_answers() { docker info >/dev/null 2>&1; }

# --- 1. packages -------------------------------------------------------------------------------
missing=()
command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
[[ -x /bin/busybox ]] || missing+=(busybox-static)
if ((${#missing[@]})); then
    say "installing ${missing[*]}"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
else
    say "docker.io and busybox-static already installed"
fi
if ! /bin/busybox --list 2>/dev/null | grep -qx sh; then
    say "ERROR: /bin/busybox is not a usable busybox (is busybox-static installed?)" >&2
    exit 1
fi

# --- 2./3. engine --------------------------------------------------------------------------------
alive() { [[ -n "$1" && -d "/proc/$1" ]]; }  # kill -0 would fail on root's pids for a user
recorded_pid() { cat "$PIDFILE" 2>/dev/null || true; }

if engine_answers; then
    say "an engine already answers; leaving it alone"
else
    launcher=""
    if alive "$(recorded_pid)"; then
        say "dockerd $(recorded_pid) (started earlier by this script) is still starting"
    elif pgrep -x dockerd >/dev/null 2>&1; then
        # Someone else's dockerd: never start a second one on the same socket.
        say "a dockerd (pid $(pgrep -x dockerd | head -n1)) runs but does not answer yet; waiting"
    else
        say "no engine answers: starting dockerd (log: $LOGFILE)"
        as_root rm -f "$PIDFILE"
        # setsid: dockerd must outlive this script and not get the CI shell's signals. dockerd
        # writes its own pid to $PIDFILE (a sudo/subshell launcher's pid would be the wrong one).
        # No shell function here: a backgrounded function is a subshell that would linger
        # holding this script's stdout open.
        sudo_cmd=()
        [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo -n)
        "${sudo_cmd[@]}" setsid dockerd --iptables=false --bridge=none --pidfile "$PIDFILE" \
            >"$LOGFILE" 2>&1 </dev/null &
        launcher=$!
    fi
    started=$SECONDS
    deadline=$((SECONDS + READY_TIMEOUT))
    until engine_answers; do
        if [[ -n "$launcher" ]] && ! alive "$launcher"; then
            say "ERROR: dockerd exited; last log lines:" >&2
            tail -n 30 "$LOGFILE" >&2 || true
            as_root rm -f "$PIDFILE"
            exit 1
        fi
        if ((SECONDS >= deadline)); then
            say "ERROR: no engine answered within ${READY_TIMEOUT}s:" >&2
            docker info 2>&1 | grep -iE 'error|denied|cannot' | head -n 3 >&2 || true
            [[ -z "$launcher" ]] || tail -n 30 "$LOGFILE" >&2 || true
            exit 1
        fi
        sleep 0.2
    done
    if [[ -n "$launcher" ]]; then
        say "engine ready after $((SECONDS - started))s; dockerd pid $(recorded_pid) in $PIDFILE"
    else
        say "engine ready after $((SECONDS - started))s"
    fi
fi
say "engine: $(docker version --format 'server {{.Server.Version}}, API {{.Server.APIVersion}}')"

# --- 4. image ------------------------------------------------------------------------------------
if docker image inspect "$IMAGE" >/dev/null 2>&1; then
    say "image $IMAGE already present"
else
    say "building $IMAGE with docker import"
    root="$(mktemp -d)"
    trap 'rm -rf "$root"' EXIT
    mkdir -p "$root/bin" "$root/convex" "$root/tmp" "$root/etc"
    cp /bin/busybox "$root/bin/busybox"
    for applet in $(/bin/busybox --list); do
        [[ "$applet" == busybox ]] || ln -sf busybox "$root/bin/$applet"
    done
    echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
    echo 'root:x:0:' >"$root/etc/group"
    # Like the real image's script: the key on stdout (instance name | 01 + hex), chatter on stderr.
    cat >"$root/convex/generate_admin_key.sh" <<'EOF'
#!/bin/sh
set -e
echo "Admin key:" >&2
hex=$(head -c 48 /dev/urandom | od -An -tx1 | tr -d ' \n')
echo "convex-self-hosted|01${hex}"
EOF
    chmod 755 "$root/convex/generate_admin_key.sh"
    chmod 1777 "$root/tmp"
    tar -C "$root" -cf - . | docker import \
        --change 'WORKDIR /convex' \
        --change 'ENV PATH=/bin' \
        --change 'CMD ["sh"]' \
        --message 'convex-tui test image: busybox + generate_admin_key.sh' \
        - "$IMAGE" >/dev/null
    say "image $IMAGE built"
fi
say "done"

#!/usr/bin/env bash
# deploy/chromium.sh: the Chromium that OkrGrid's browser tests drive (Debian's package; never a downloaded one).
#
#   chromium.sh path      print the browser's path; install Debian's "chromium" first if it is missing and this
#                         runs as root with apt-get (as deploy/pg.sh does for PostgreSQL); else fail saying what to run
#
# One line on stdout: the path. Everything else goes to stderr. Concurrent callers (parallel test classes or test
# processes) install once: the install runs under flock, and the others wait for it and then find the browser.
set -euo pipefail

CANDIDATES=(/usr/lib/chromium/chromium /usr/bin/chromium /usr/bin/chromium-browser)
LOCK=${TMPDIR:-/tmp}/okrgrid-chromium.lock

log() { printf 'chromium.sh: %s\n' "$*" >&2; }

find_chromium() {
    local c
    for c in "${CANDIDATES[@]}"; do
        [[ -x $c ]] && { printf '%s\n' "$c"; return 0; }
    done
    return 1
}

install_chromium() {
    if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null; then
        log "Chromium is not installed, and this is not root on a Debian-like system: run 'sudo apt-get install -y chromium'."
        exit 1
    fi
    log "Chromium is not installed: installing Debian's package (apt-get update && apt-get install -y chromium)…"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update >&2 || { log "apt-get update failed"; exit 1; }
    apt-get install -y --no-install-recommends chromium >&2 || { log "apt-get install chromium failed"; exit 1; }
    log "installed"
}

case ${1:-path} in
    path)
        find_chromium && exit 0
        exec 9>"$LOCK"
        flock 9
        # Another caller may have installed it while this one waited for the lock.
        find_chromium && exit 0
        install_chromium
        find_chromium || { log "installed, but no chromium binary found at ${CANDIDATES[*]}"; exit 1; } ;;
    -h | --help | help)
        sed -n '2,8p' "$0" ;;
    *)
        log "usage: chromium.sh [path]"
        exit 2 ;;
esac

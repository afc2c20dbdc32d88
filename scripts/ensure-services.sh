#!/usr/bin/env bash
# Installs the servers the test suite starts (PostgreSQL, Redis) and the browser the portal's
# tests drive (Debian's chromium) when they are missing.
# The suite itself starts and stops throwaway instances; nothing here runs a server.
set -euo pipefail

have_postgres() {
    command -v initdb >/dev/null 2>&1 && return 0
    ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1
}

missing=()
have_postgres || missing+=(postgresql)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
[ -x /usr/bin/chromium ] || missing+=(chromium)

if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" != "0" ]; then
        echo "missing ${missing[*]}; install them (as root: apt-get install ${missing[*]})" >&2
        exit 1
    fi
    echo "installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    # Debian starts the packaged services; the suite runs its own instances instead.
    for unit in postgresql redis-server; do
        service "$unit" stop >/dev/null 2>&1 || true
    done
fi

#!/usr/bin/env bash
# Runs every test: installs nats-server first when it is missing (the broker tests start
# their own `nats-server -js` on a free port), then `cargo test --workspace`.
set -euo pipefail
cd "$(dirname "$0")/.."
# Debian installs nats-server in /usr/sbin, which a non-root PATH may lack.
export PATH="$PATH:/usr/sbin"

if ! command -v nats-server >/dev/null 2>&1; then
    if [ "$(id -u)" -eq 0 ]; then
        echo "nats-server is missing: installing it with apt-get" >&2
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nats-server >/dev/null
    else
        echo "error: the broker tests need nats-server, which is not on PATH." >&2
        echo "Install it (Debian/Ubuntu: sudo apt-get install nats-server, or a release" >&2
        echo "from the NATS project) and run bash scripts/test.sh again." >&2
        exit 1
    fi
fi
command -v nats-server >/dev/null 2>&1 || {
    echo "error: nats-server is still not on PATH after installing it" >&2
    exit 1
}

cargo test --workspace "$@"

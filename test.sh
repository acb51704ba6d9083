#!/usr/bin/env bash
# The one test command, for a fresh Debian machine as much as for a developer's checkout:
# installs what the tests need when it is absent, then runs every test project in Release.
# Needs no stdin (CI runs it through .ci/run).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"

export DEBIAN_FRONTEND=noninteractive
export DOTNET_CLI_TELEMETRY_OPTOUT=1
export DOTNET_NOLOGO=1

log() { printf 'test.sh: %s\n' "$*"; }
fail() { printf 'test.sh: error: %s\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    # -n: never prompt; with no terminal a password prompt would hang or fail obscurely.
    sudo -n "$@"
  else
    fail "'$*' needs root: run test.sh as root, or with passwordless sudo"
  fi
}

rabbitmq_installed() {
  command -v rabbitmq-server >/dev/null 2>&1 || [ -x /usr/sbin/rabbitmq-server ]
}

# Only ever called right after this script installed the package: Debian's post-install starts the
# package's own default node (rabbit@<host>, port 5672). The tests start private nodes of their own,
# so stop that one through the package's service definition and keep it from starting at boot.
# Nothing else is touched: a node that was already there before this run is left alone.
stop_package_default_node() {
  if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
    as_root systemctl disable --now rabbitmq-server.service || log "could not stop rabbitmq-server.service"
  elif [ -x /etc/init.d/rabbitmq-server ]; then
    as_root /etc/init.d/rabbitmq-server stop || log "could not stop the default node through /etc/init.d"
    if command -v update-rc.d >/dev/null 2>&1; then
      as_root update-rc.d rabbitmq-server disable >/dev/null 2>&1 || true
    fi
  fi
}

if ! rabbitmq_installed; then
  command -v apt-get >/dev/null 2>&1 || fail "rabbitmq-server is not installed and apt-get is not available; install RabbitMQ 3.10+ by hand"
  log "installing rabbitmq-server (the integration tests start private RabbitMQ nodes)"
  as_root apt-get update
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y rabbitmq-server
  stop_package_default_node
fi

postgresql_installed() {
  command -v initdb >/dev/null 2>&1 || compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null
}

# Likewise for PostgreSQL: Debian's post-install creates and starts the default cluster (main, port
# 5432); the ledger tests run clusters of their own (initdb into temp folders, free loopback ports).
# Stop that one cluster and keep it from starting at boot; any other cluster is left alone.
stop_package_default_cluster() {
  local version
  for version in $(ls /usr/lib/postgresql 2>/dev/null); do
    if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d "/etc/postgresql/$version/main" ]; then
      as_root pg_ctlcluster "$version" main stop || log "could not stop the PostgreSQL $version main cluster"
      as_root sh -c "echo disabled > /etc/postgresql/$version/main/start.conf" || log "could not disable the PostgreSQL $version main cluster"
    fi
  done
}

if ! postgresql_installed; then
  command -v apt-get >/dev/null 2>&1 || fail "postgresql is not installed and apt-get is not available; install PostgreSQL 13+ (initdb, pg_ctl) by hand"
  log "installing postgresql (the ledger tests start private PostgreSQL clusters)"
  as_root apt-get update
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql
  stop_package_default_cluster
fi

# The dashboard's browser test drives Debian's Chromium headless (/usr/bin/chromium).
if [ ! -x /usr/bin/chromium ] || ! command -v chromedriver >/dev/null 2>&1; then
  command -v apt-get >/dev/null 2>&1 || fail "chromium is not installed and apt-get is not available; install chromium and chromium-driver by hand"
  log "installing chromium and chromium-driver (the dashboard test runs a headless browser)"
  as_root apt-get update
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium chromium-driver
fi

# The Batch API's second client is the official `openai` npm package on Debian's Node; the test
# installs the package (pinned) into a folder under the temp folder.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  command -v apt-get >/dev/null 2>&1 || fail "node and npm are not installed and apt-get is not available; install Node.js 20+ and npm by hand"
  log "installing nodejs and npm (the Batch API is also tested with the openai npm package)"
  as_root apt-get update
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y nodejs npm
fi

command -v dotnet >/dev/null 2>&1 || fail "dotnet was not found on PATH; install the .NET 10 SDK (https://dot.net) and run test.sh again"

log "dotnet $(dotnet --version); rabbitmq-server at $(command -v rabbitmq-server || echo /usr/sbin/rabbitmq-server); initdb at $(command -v initdb || compgen -G '/usr/lib/postgresql/*/bin/initdb' | tail -n 1); chromium at /usr/bin/chromium"

# The exit code is dotnet test's own; the last line sums every test project's counts.
log_file=$(mktemp)
trap 'rm -f "$log_file"' EXIT
set +e
dotnet test Dispatcher.sln -c Release --logger "console;verbosity=normal" 2>&1 | tee "$log_file"
status=${PIPESTATUS[0]}
set -e
count() { { grep -Eo "^ +$1: +[0-9]+" "$log_file" || true; } | awk '{s+=$2} END {print s+0}'; }
passed=$(count Passed)
failed=$(count Failed)
skipped=$(count Skipped)
echo "${passed} passed, ${failed} failed, ${skipped} skipped"
exit "$status"

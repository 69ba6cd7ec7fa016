#!/usr/bin/env bash
# One command to set up and start the whole product on this machine: the broker and its dashboard,
# with a local Redis and an embedded PostgreSQL unless REDIS_URL / DATABASE_URL are given.
source "$(dirname "$0")/lib.sh"
# Checked before anything is installed or built: a typo should cost a second, not a build.
if [ -n "${PORT:-}" ] && ! [[ "$PORT" =~ ^[0-9]+$ && "$PORT" -le 65535 ]]; then
  fail "PORT must be a whole number between 0 and 65535, got \"$PORT\""
fi
for arg in "$@"; do
  case "$arg" in --demo | --verbose) ;; *) fail "unknown option $arg; usage: bash scripts/start.sh [--demo] [--verbose]" ;; esac
done
ensure_node
ensure_pnpm
ensure_packages
build_if_changed
step "starting the broker"
cd "$ROOT"
exec node apps/broker/dist/quickstart/main.js "$@"

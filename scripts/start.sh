#!/usr/bin/env bash
# One command to set up and start the whole product on this machine: the broker and its dashboard,
# with a local Redis and an embedded PostgreSQL unless REDIS_URL / DATABASE_URL are given.
source "$(dirname "$0")/lib.sh"
ensure_node
ensure_pnpm
ensure_packages
build_all
step "starting the broker"
cd "$ROOT"
exec node apps/broker/dist/quickstart/main.js "$@"

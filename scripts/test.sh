#!/usr/bin/env bash
# One command to set up and run every test: typecheck, lint, unit and integration tests (real
# PostgreSQL and Redis), and the end-to-end tests in a real Chromium.
# Uses PostgreSQL at TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres) and Redis
# at TEST_REDIS_URL (default redis://127.0.0.1:6379); starts its own when they do not answer.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/test-services.sh"
ensure_node
ensure_pnpm
ensure_packages
ensure_chromium
ensure_test_postgres
ensure_test_redis
build_all
cd "$ROOT"

results=()
failed=0
run() {
  local name=$1; shift
  step "$name"
  local started=$SECONDS
  if "$@"; then results+=("passed  $name ($((SECONDS - started)) s)")
  else results+=("FAILED  $name ($((SECONDS - started)) s)"); failed=$((failed + 1)); fi
}

run "typecheck" pnpm --silent typecheck
run "lint" pnpm --silent lint
for pkg in packages/protocol apps/broker packages/worker apps/dashboard packages/bench; do
  [ -f "$pkg/package.json" ] || continue
  run "tests: $pkg" pnpm --silent --dir "$pkg" test
done
run "end-to-end tests (Playwright, Chromium)" pnpm --silent test:e2e

step "summary"
for line in "${results[@]}"; do note "$line"; done
total=${#results[@]}
echo "suites: $((total - failed)) passed, $failed failed"
[ "$failed" -eq 0 ]

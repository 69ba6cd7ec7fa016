#!/usr/bin/env bash
# One command to set up and run every test: typecheck, lint, unit and integration tests (real
# PostgreSQL and Redis), the compatibility test with the real Screwdriver API (npm screwdriver-api,
# installed on first run), the queue and protocol suites on a local Redis Cluster, and the
# end-to-end tests in a real Chromium.
# Uses PostgreSQL at TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres) and Redis
# at TEST_REDIS_URL (default redis://127.0.0.1:6379); starts its own when they do not answer.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/test-services.sh"
ensure_node
ensure_pnpm
ensure_packages
ensure_screwdriver_api
ensure_chromium
ensure_test_postgres
ensure_test_redis
build_all
cd "$ROOT"

results=()
failed_logs=()
failed=0
tests_passed=0
tests_failed=0
LOGS="$(mktemp -d)"
# Adds up the "N passed" / "N failed" figures a Vitest or Playwright run printed.
count_tests() {
  local figures
  figures=$(sed -e 's/\x1b\[[0-9;]*m//g' "$1" | awk '
    /^ *Tests +[0-9]/ { vitest = 1
      for (i = 1; i < NF; i++) { if ($(i+1) == "passed") vp += $i; if ($(i+1) == "failed") vf += $i } }
    /^ +[0-9]+ passed/ { pp += $1 }
    /^ +[0-9]+ (failed|flaky)/ { pf += $1 }
    END { if (vitest) print vp + 0, vf + 0; else print pp + 0, pf + 0 }')
  tests_passed=$((tests_passed + ${figures% *}))
  tests_failed=$((tests_failed + ${figures#* }))
}
run() {
  local name=$1; shift
  step "$name"
  local started=$SECONDS log="$LOGS/$(echo "$name" | tr -c 'a-z0-9' '_').log"
  if "$@" 2>&1 | tee "$log"; then results+=("passed  $name ($((SECONDS - started)) s)")
  else results+=("FAILED  $name ($((SECONDS - started)) s)"); failed=$((failed + 1)); failed_logs+=("$log"); fi
  count_tests "$log"
}

run "typecheck" pnpm --silent typecheck
run "lint" pnpm --silent lint
for pkg in packages/protocol apps/broker packages/worker apps/dashboard packages/bench packages/screwdriver-compat; do
  [ -f "$pkg/package.json" ] || continue
  run "tests: $pkg" pnpm --silent --dir "$pkg" test
done
# The queue and protocol suites again on a local Redis Cluster (3 masters + 3 replicas of
# redis-server on TEST_REDIS_CLUSTER_PORT.., REDIS_WAIT_REPLICAS=1), started and stopped by the run.
ensure_redis_server
run "tests on Redis Cluster: queue and protocol suites" pnpm --silent --dir apps/broker run test:cluster
run "end-to-end tests (Playwright, Chromium)" pnpm --silent test:e2e

step "summary"
for line in "${results[@]}"; do note "$line"; done
note "$(( ${#results[@]} - failed )) of ${#results[@]} steps passed"
# A failed step's failing tests, named again here with the start of what they reported (Vitest's
# "Failed Tests" block, Playwright's first failure): the log above may be longer than what is kept of it.
for log in "${failed_logs[@]}"; do
  sed -e 's/\x1b\[[0-9;]*m//g' "$log" | grep -E '^ *(FAIL |✘|×|[0-9]+\) )' | sort -u | head -40 || true
  sed -e 's/\x1b\[[0-9;]*m//g' "$log" | awk '/Failed Tests [0-9]+/ || /^  1\) / { shown = 1 } shown && n < 60 { print; n++ }' || true
done
echo "tests: $tests_passed passed, $tests_failed failed"
[ "$failed" -eq 0 ]

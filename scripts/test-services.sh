# PostgreSQL and Redis for the tests: the machine's own when they answer, otherwise ones this
# script starts in a temporary folder (stopped when the tests end).
TEST_TMP="${TMPDIR:-/tmp}/bcb-test-services"
export TEST_DATABASE_URL="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
export TEST_REDIS_URL="${TEST_REDIS_URL:-redis://127.0.0.1:6379}"
STARTED_SERVICES=()

cleanup_services() {
  for cmd in "${STARTED_SERVICES[@]:-}"; do [ -n "$cmd" ] && eval "$cmd" >/dev/null 2>&1 || true; done
}
trap cleanup_services EXIT

pg_answers() { node -e "
const { Client } = require('$ROOT/node_modules/.pnpm/node_modules/pg');
const c = new Client({ connectionString: process.argv[1], connectionTimeoutMillis: 2000 });
c.connect().then(() => c.end()).then(() => process.exit(0), () => process.exit(1));" "$1" 2>/dev/null; }

ensure_test_postgres() {
  if pg_answers "$TEST_DATABASE_URL"; then note "PostgreSQL: $TEST_DATABASE_URL"; return; fi
  step "PostgreSQL does not answer at $TEST_DATABASE_URL: starting one for the tests"
  local bin; bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
  if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then apt_install postgresql; bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1); fi
  local dir="$TEST_TMP/pg" port=55432 runas=()
  rm -rf "$dir"; mkdir -p "$dir"
  # PostgreSQL refuses to run as root: run it as the postgres user when we are root.
  if [ "$(id -u)" = 0 ]; then id postgres >/dev/null 2>&1 || useradd -r postgres; chown -R postgres "$TEST_TMP"; runas=(runuser -u postgres --); fi
  "${runas[@]}" "$bin/initdb" -D "$dir/data" -U postgres --auth=trust >/dev/null || fail "initdb failed"
  "${runas[@]}" "$bin/pg_ctl" -D "$dir/data" -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off" -l "$dir/log" -w start >/dev/null \
    || fail "could not start PostgreSQL (log: $dir/log)"
  STARTED_SERVICES+=("${runas[*]} $bin/pg_ctl -D $dir/data -m immediate stop")
  export TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$port/postgres"
  note "PostgreSQL: $TEST_DATABASE_URL"
}

redis_answers() { command -v redis-cli >/dev/null 2>&1 && [ "$(redis-cli -u "$1" ping 2>/dev/null)" = PONG ]; }

ensure_test_redis() {
  if redis_answers "$TEST_REDIS_URL"; then note "Redis: $TEST_REDIS_URL"; return; fi
  step "Redis does not answer at $TEST_REDIS_URL: starting one for the tests"
  ensure_redis_server
  local port=56379 dir="$TEST_TMP/redis"
  mkdir -p "$dir"
  redis-server --port $port --bind 127.0.0.1 --dir "$dir" --save '' --appendonly no --daemonize yes --pidfile "$dir/redis.pid" >/dev/null \
    || fail "could not start redis-server"
  STARTED_SERVICES+=("kill \$(cat $dir/redis.pid)")
  export TEST_REDIS_URL="redis://127.0.0.1:$port"
  for _ in $(seq 50); do redis_answers "$TEST_REDIS_URL" && break; sleep 0.1; done
  note "Redis: $TEST_REDIS_URL"
}

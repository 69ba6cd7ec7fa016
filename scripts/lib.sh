# Shared setup for scripts/start.sh and scripts/test.sh: make this machine able to build and run
# the product. Each step checks first and installs only what is missing.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PNPM_VERSION=12.4.2

step() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
note() { printf '    %s\n' "$*" >&2; }
fail() { printf '\033[31merror:\033[0m %s\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo "$@"; else return 1; fi
}

APT_UPDATED=
apt_install() {
  command -v apt-get >/dev/null 2>&1 || fail "'$*' is missing and this machine has no apt-get: install it by hand"
  if [ -z "$APT_UPDATED" ]; then as_root apt-get update -qq || fail "apt-get update failed"; APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "$@" >/dev/null || fail "apt-get install $* failed"
}

ensure_node() {
  command -v node >/dev/null 2>&1 || fail "Node.js 20 or newer is required (https://nodejs.org or your package manager)"
  local major; major=$(node -p 'process.versions.node.split(".")[0]')
  [ "$major" -ge 20 ] || fail "Node.js 20 or newer is required; this is $(node --version)"
}

ensure_pnpm() {
  if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version 2>/dev/null)" != "$PNPM_VERSION" ]; then
    step "installing pnpm $PNPM_VERSION"
    npm install -g "pnpm@$PNPM_VERSION" --silent >/dev/null 2>&1 || as_root npm install -g "pnpm@$PNPM_VERSION" --silent >/dev/null \
      || fail "could not install pnpm $PNPM_VERSION with npm"
  fi
}

ensure_packages() {
  step "installing packages (pnpm install)"
  (cd "$ROOT" && pnpm install --frozen-lockfile --reporter=silent) || fail "pnpm install failed"
}

# Builds only when a source, lockfile or config file changed since the last build (a stamp in .data/).
build_if_changed() {
  local stamp="$ROOT/.data/build.stamp" sum
  sum=$(cd "$ROOT" && git ls-files -co --exclude-standard -- apps packages pnpm-lock.yaml 'tsconfig*.json' 2>/dev/null |
    grep -v -e '/dist/' -e '/node_modules/' | xargs -r sha256sum 2>/dev/null | sha256sum | cut -d' ' -f1)
  if [ -n "$sum" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$sum" ] && [ -f "$ROOT/apps/broker/dist/quickstart/main.js" ] &&
    [ -f "$ROOT/apps/dashboard/dist/index.html" ]; then
    note "nothing changed since the last build; not rebuilding"
    return
  fi
  build_all
  mkdir -p "$ROOT/.data" && echo "$sum" > "$stamp"
}

build_all() {
  step "building (TypeScript, dashboard)"
  local started=$SECONDS
  (cd "$ROOT" && pnpm --silent build) || fail "build failed"
  note "built in $((SECONDS - started)) s"
}

ensure_redis_server() {
  if ! command -v redis-server >/dev/null 2>&1; then
    step "installing Debian package redis-server"
    apt_install redis-server
  fi
}

ensure_chromium() {
  if [ ! -x /usr/bin/chromium ]; then
    step "installing Debian package chromium (for the browser tests)"
    apt_install chromium
  fi
}

# The real Screwdriver API for the compatibility test (packages/screwdriver-compat/sd-api): an npm
# project of its own, outside the pnpm workspace. Installed again only when its package.json, lock
# or the test SCM plugin changed (a hash stamp in its node_modules).
ensure_screwdriver_api() {
  local dir="$ROOT/packages/screwdriver-compat/sd-api" stamp want
  want=$(cat "$dir/package.json" "$dir/package-lock.json" "$dir/.npmrc" "$dir/../scm-test/"* | sha256sum | cut -c1-16)
  stamp="$dir/node_modules/.compat-stamp"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then return; fi
  step "installing the real Screwdriver API for the compatibility test (npm ci, ~1,060 packages, 1-2 min)"
  local started=$SECONDS
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null) || fail "npm ci in $dir failed"
  echo "$want" > "$stamp"
  note "installed in $((SECONDS - started)) s"
}

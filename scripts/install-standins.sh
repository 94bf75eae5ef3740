#!/usr/bin/env bash
# Installs what the tests need that is not a Go module, and checks what cannot be installed:
#   - kinesalite and velocityjs (the npm stand-ins pinned in tools/standins/package-lock.json;
#     internal/testenv starts them)
#   - moto_server (Python, not installed here: `pipx install "moto[server]==5.2.1"`). Missing,
#     it is a warning (the tests that start it skip), and a failure when CI=true.
# Idempotent: npm ci runs only when node_modules is missing or older than the lockfile.
# Tests skip when a stand-in is missing, but fail when CI=true, so run this before go test.
# --npm-only skips the moto_server check (make demo needs kinesalite only).
set -euo pipefail

npm_only=false
if [ "${1:-}" = "--npm-only" ]; then
  npm_only=true
fi

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
standins="$root/tools/standins"

die() {
  echo "install-standins: $*" >&2
  exit 1
}

command -v node >/dev/null 2>&1 || die "node is not installed (Node.js 20+ runs kinesalite)"
command -v npm >/dev/null 2>&1 || die "npm is not installed (it installs tools/standins)"

stamp="$standins/node_modules/.package-lock.json" # npm writes it on every install
if [ ! -f "$standins/node_modules/kinesalite/package.json" ] || [ ! -f "$stamp" ] ||
  [ "$standins/package-lock.json" -nt "$stamp" ]; then
  echo "install-standins: npm ci --prefix tools/standins"
  npm ci --prefix "$standins" --no-audit --no-fund --loglevel=error
else
  echo "install-standins: tools/standins/node_modules is up to date"
fi
for pkg in kinesalite velocityjs; do
  (cd "$standins" && node -e "require('$pkg')") ||
    die "$pkg does not load from tools/standins/node_modules"
done

if $npm_only; then
  echo "install-standins: ok (npm stand-ins only)"
  exit 0
fi
version() { (cd "$standins" && node -p "JSON.parse(require('fs').readFileSync('node_modules/$1/package.json')).version"); }
npm_versions="kinesalite $(version kinesalite), velocityjs $(version velocityjs)"

install_moto='pipx install "moto[server]==5.2.1" (Python 3.9+; or pip install it into a virtualenv on the PATH)'
if ! command -v moto_server >/dev/null 2>&1; then
  if [ "${CI:-}" = true ]; then
    die "moto_server is not on the PATH, and CI=true requires every stand-in; install it: $install_moto"
  fi
  echo "install-standins: warning: moto_server is not on the PATH, so the tests that start it (Athena for verify,
  resharding, status, shards --from-metrics) will be skipped. To run them: $install_moto" >&2
  echo "install-standins: ok without moto_server ($npm_versions)"
  exit 0
fi
moto_server --help >/dev/null 2>&1 || die "moto_server is on the PATH but does not run ($(command -v moto_server)); reinstall it: $install_moto"

echo "install-standins: ok ($npm_versions, moto_server $(command -v moto_server))"

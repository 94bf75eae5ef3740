#!/usr/bin/env bash
# Installs what the tests need that is not a Go module, and checks what cannot be installed:
#   - kinesalite and velocityjs (the npm stand-ins pinned in tools/standins/package-lock.json;
#     internal/testenv starts them)
#   - moto_server (Python; preinstalled on our CI machines, `pip install "moto[server]==5.2.1"`
#     elsewhere; no registry reachable from the CI machines serves it)
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
if ! command -v moto_server >/dev/null 2>&1; then
  die "moto_server is not on the PATH. It cannot be installed from the registries this machine reaches;
  on a machine with PyPI access: pip install 'moto[server]==5.2.1' (Python 3.9+)"
fi
moto_server --help >/dev/null 2>&1 || die "moto_server is on the PATH but does not run ($(command -v moto_server))"

version() { (cd "$standins" && node -p "JSON.parse(require('fs').readFileSync('node_modules/$1/package.json')).version"); }
echo "install-standins: ok (kinesalite $(version kinesalite), velocityjs $(version velocityjs), moto_server $(command -v moto_server))"

#!/usr/bin/env bash
# Builds FerretDB (a MongoDB-wire server on SQLite) from the Go module proxy, for the MongoDB store's
# tests (issue 12): no MongoDB server is packaged by Debian or served by any registry here.
# Prints the binary's path. Idempotent: a second run with the binary present does nothing.
# Usage: scripts/ferretdb-build.sh
# Env: GODOCKER_FERRETDB_VERSION (default v1.24.2), GODOCKER_FERRETDB_CACHE (default /var/cache/godocker/ferretdb).
#
# `go install github.com/FerretDB/FerretDB/cmd/ferretdb@VERSION` builds a binary that panics at start:
# it embeds build/version/version.txt, which the module zip leaves empty (FerretDB's own build writes
# it with `task gen-version`). So the module is copied out of the module cache, the file written, and
# the copy built. About 80 s cold on this 2-core machine (module downloads included), 6 s warm.
set -euo pipefail
version=${GODOCKER_FERRETDB_VERSION:-v1.24.2}
cache=${GODOCKER_FERRETDB_CACHE:-/var/cache/godocker/ferretdb}
bin="$cache/$version/bin/ferretdb"
if [ -x "$bin" ] && "$bin" --version 2>/dev/null | grep -qx "version: $version"; then
  echo "$bin"
  exit 0
fi
command -v go >/dev/null || { echo "go not found: FerretDB is built from source" >&2; exit 1; }
mkdir -p "$(dirname "$bin")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && go mod init godocker-ferretdb-build >/dev/null 2>&1 && go mod download -json "github.com/FerretDB/FerretDB@$version" >"$work/module.json")
src=$(sed -n 's/^\t"Dir": "\(.*\)",$/\1/p' "$work/module.json")
[ -d "$src" ] || { echo "could not download github.com/FerretDB/FerretDB@$version" >&2; cat "$work/module.json" >&2; exit 1; }
cp -r "$src" "$work/src"
chmod -R u+w "$work/src"
echo "$version" >"$work/src/build/version/version.txt"
(cd "$work/src" && go build -trimpath -o "$bin.tmp" ./cmd/ferretdb)
mv "$bin.tmp" "$bin"
echo "$bin"

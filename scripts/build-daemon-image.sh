#!/usr/bin/env bash
# Builds the daemon's container image locally (issue 12, part 4): nothing can be pulled here, so
# every FROM image is made on this machine.
#   1. local/godocker-base:RELEASE  a Debian minbase rootfs (debootstrap) with this host's Node 20
#      binary in /usr/local/bin/node. Made once: skipped when the image exists with the same Node.
#   2. local/godocker:VERSION and :latest  deploy/Dockerfile on deploy/.stage: the packages built by
#      `npm run build` and a production node_modules (the repo's, pruned by `npm prune --offline`).
#   3. with --with-services (what deploy/compose.yaml needs): local/ferretdb:1.24.2 (the FerretDB
#      binary of scripts/ferretdb-build.sh on the base), local/postgres:15 (its backend) and
#      local/redis:7 (Debian's postgresql-15 and redis-server installed with dpkg on the base).
#      Each skipped when it exists, built from the same recipe.
# Usage: scripts/build-daemon-image.sh [--with-services] [--no-build]
#   --no-build: do not run `npm run build` first (the packages are built already).
# Env: GODOCKER_DEBIAN_RELEASE (bookworm), GODOCKER_DEBIAN_MIRROR (the mirror apt uses here),
#      GODOCKER_DOCKER_SOCKET (/var/run/docker.sock), GODOCKER_FERRETDB_VERSION (v1.24.2).
# Needs root (debootstrap, chroot), debootstrap, npm, and a Docker engine on the socket.
set -euo pipefail
cd "$(dirname "$0")/.."
release=${GODOCKER_DEBIAN_RELEASE:-bookworm}
sock=${GODOCKER_DOCKER_SOCKET:-/var/run/docker.sock}
with_services=false
npm_build=true
for arg in "$@"; do
  case "$arg" in
    --with-services) with_services=true ;;
    --no-build) npm_build=false ;;
    *) echo "unknown argument: $arg" >&2; exit 2 ;;
  esac
done
d() { docker -H "unix://$sock" "$@"; }
log() { echo "== $*" >&2; }
has_image() { d image inspect "$1" >/dev/null 2>&1; }
# Whether IMAGE exists and was built from this recipe (the text of its Dockerfile and files):
# a service image whose recipe changed is built again.
built_from() { # IMAGE RECIPE_TEXT
  has_image "$1" && [ "$(d image inspect -f '{{index .Config.Labels "org.godocker.recipe"}}' "$1")" = "$(printf '%s' "$2" | sha256sum | cut -c1-16)" ]
}
recipe_label() { printf 'org.godocker.recipe=%s' "$(printf '%s' "$1" | sha256sum | cut -c1-16)"; }
# .deb files of PACKAGES and what they need beyond the base rootfs, into DIR/debs, for dpkg inside
# an image (the build's containers need no network). apt resolves them against the base image's
# dpkg status, from the host's package lists and mirror.
fetch_debs() { # DIR PACKAGES...
  local dir=$1
  shift
  mkdir -p "$dir/debs/partial"
  d run --rm --network none "$base" cat /var/lib/dpkg/status >"$dir/status"
  apt-get -qq -o Debug::NoLocking=1 -o APT::Sandbox::User=root -o "Dir::State::status=$dir/status" -o "Dir::Cache::archives=$dir/debs" \
    --download-only --no-install-recommends -y install "$@" >/dev/null
  rm -rf "$dir/debs/partial" "$dir/debs/lock" "$dir/status"
}

version=$(sed -n "s/^export const VERSION = '\(.*\)';/\1/p" packages/sdk/src/version.ts)
[ -n "$version" ] || { echo "no VERSION in packages/sdk/src/version.ts" >&2; exit 1; }

mirror() {
  if [ -n "${GODOCKER_DEBIAN_MIRROR:-}" ]; then echo "$GODOCKER_DEBIAN_MIRROR"; return; fi
  # The first Debian archive (not security) apt uses here, deb822 or one-line format.
  local m
  m=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | sed -n 's/^URIs: *\(\S*\/debian\/\?\)$/\1/p' | head -1)
  [ -n "$m" ] || m=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | sed -n 's/^deb \+\(\[[^]]*\] \+\)\?\(\S*\/debian\/\?\) .*/\2/p' | head -1)
  echo "${m:-http://deb.debian.org/debian}"
}

node_bin=$(readlink -f "$(command -v node)")
node_version=$("$node_bin" --version)
base="local/godocker-base:$release"

# ---- 1. the base image ---------------------------------------------------------------------
build_base() {
  local root
  root=$(mktemp -d /var/tmp/godocker-base.XXXXXX)
  # shellcheck disable=SC2064 # the path now
  trap "rm -rf '$root'" RETURN
  log "debootstrap --variant=minbase $release from $(mirror) (about 30 s)"
  debootstrap --variant=minbase "$release" "$root" "$(mirror)" >"$root.log" 2>&1 || {
    tail -20 "$root.log" >&2
    exit 1
  }
  rm -f "$root.log"
  chmod 755 "$root" # mktemp made it 700: it becomes the image's /
  install -m 755 "$node_bin" "$root/usr/local/bin/node"
  # Every library Node links must be in the rootfs (minbase has libc6, libstdc++6, libgcc-s1).
  local lib missing=""
  for lib in $(ldd "$node_bin" | sed -n 's/.*=> \(\/[^ ]*\) .*/\1/p'); do
    [ -e "$root$lib" ] || [ -e "$root/usr$lib" ] || missing="$missing $lib"
  done
  [ -z "$missing" ] || { echo "libraries of node missing in the rootfs:$missing" >&2; exit 1; }
  chroot "$root" /usr/local/bin/node -e 'process.stdout.write("")' || { echo "node does not run in the rootfs" >&2; exit 1; }
  # What runs in a container needs no docs, man pages, locales or apt lists.
  rm -rf "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/usr/share/locale/* \
    "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb "$root"/var/log/*.log
  tar -C "$root" -c . | d import \
    -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8' \
    -c "LABEL org.godocker.node=$node_version org.godocker.debian=$release" \
    -c 'CMD ["/bin/bash"]' - "$base" >/dev/null
  log "built $base (Node $node_version)"
}
if has_image "$base" && [ "$(d image inspect -f '{{index .Config.Labels "org.godocker.node"}}' "$base")" = "$node_version" ]; then
  log "$base exists (Node $node_version): kept"
else
  build_base
fi

# ---- 2. the daemon image -------------------------------------------------------------------
if $npm_build; then
  log "npm run build"
  npm run build >/dev/null
fi
for f in packages/cli/dist/godocker.cjs packages/scheduler/dist/index.js packages/plugins/build/godocker-task packages/drmaa-bridge/build/libdrmaa.so.1.0; do
  [ -e "$f" ] || { echo "$f missing: run npm run build" >&2; exit 1; }
done
# A production node_modules, with no network: the repo's own, copied (top-level entries
# dereferenced: a worktree may link them from elsewhere), then pruned of dev dependencies.
stage=deploy/.stage
log "staging a production node_modules in $stage"
rm -rf "$stage"
mkdir -p "$stage/node_modules/@godocker"
cp package.json package-lock.json "$stage/"
for p in packages/*/; do
  p=${p%/}
  [ -f "$p/package.json" ] || continue
  mkdir -p "$stage/$p"
  cp "$p/package.json" "$stage/$p/"
  ln -s "../../$p" "$stage/node_modules/@godocker/$(basename "$p")"
  if [ -d "$p/node_modules" ]; then
    mkdir -p "$stage/$p/node_modules"
    for e in "$p"/node_modules/* "$p"/node_modules/.bin; do
      [ -e "$e" ] && cp -aH "$e" "$stage/$p/node_modules/"
    done
  fi
done
for e in node_modules/* node_modules/.bin node_modules/.package-lock.json; do
  case "$e" in node_modules/@godocker) continue ;; esac
  [ -e "$e" ] && cp -aH "$e" "$stage/node_modules/"
done
(cd "$stage" && npm prune --omit=dev --offline --ignore-scripts --no-audit --no-fund >/dev/null)
# Then the packages' built files: what `node` runs, the local executor's monitor and launcher,
# libdrmaa.so. The stage is the image's install as it will be (deploy/Dockerfile copies it whole:
# one COPY, since each step of a build costs a copy of the whole rootfs on a vfs engine).
for p in sdk plugins drmaa-bridge scheduler cli; do cp -a "packages/$p/dist" "$stage/packages/$p/"; done
mkdir -p "$stage/packages/plugins/build" "$stage/packages/drmaa-bridge/build"
cp -a packages/plugins/build/godocker-task packages/plugins/build/godocker-launch "$stage/packages/plugins/build/"
cp -a packages/drmaa-bridge/build/libdrmaa.so* "$stage/packages/drmaa-bridge/build/"
log "docker build -f deploy/Dockerfile (local/godocker:$version)"
previous=$(d image inspect -f '{{.Id}}' local/godocker:latest 2>/dev/null || true)
d build -q --force-rm -f deploy/Dockerfile --build-arg "BASE=$base" --build-arg "VERSION=$version" \
  -t "local/godocker:$version" -t local/godocker:latest . >/dev/null
# The image this build replaced, when nothing else names it any more.
if [ -n "$previous" ] && [ "$previous" != "$(d image inspect -f '{{.Id}}' local/godocker:latest)" ] &&
  [ "$(d image inspect -f '{{len .RepoTags}}' "$previous" 2>/dev/null)" = 0 ]; then
  d rmi "$previous" >/dev/null 2>&1 || true
fi
# Of the build stage's images (untagged, the cache of the next build), only the newest is of use.
d images -q --filter dangling=true --filter label=org.godocker.image-build-stage=1 | tail -n +2 | xargs -r docker -H "unix://$sock" rmi >/dev/null 2>&1 || true
rm -rf "$stage" # made again at each build
log "built local/godocker:$version and local/godocker:latest ($(d image inspect -f '{{.Size}}' local/godocker:latest | awk '{printf "%.0f MB", $1/1e6}'))"

# ---- 3. the services of deploy/compose.yaml ------------------------------------------------
$with_services || exit 0
ferret_version=${GODOCKER_FERRETDB_VERSION:-v1.24.2}
ferret="local/ferretdb:${ferret_version#v}"
# The backend comes from FerretDB's own environment variables: compose.yaml runs it on PostgreSQL
# (FERRETDB_HANDLER=postgresql, FERRETDB_POSTGRESQL_URL); alone, it keeps SQLite files in its volume.
ferret_recipe=$(cat <<'DOCKERFILE'
ARG BASE
FROM ${BASE}
COPY ferretdb /usr/local/bin/ferretdb
RUN useradd --system --uid 10002 --home-dir /var/lib/ferretdb --create-home ferretdb
USER 10002
WORKDIR /var/lib/ferretdb
VOLUME /var/lib/ferretdb
EXPOSE 27017
ENV FERRETDB_HANDLER=sqlite FERRETDB_SQLITE_URL=file:/var/lib/ferretdb/ FERRETDB_STATE_DIR=/var/lib/ferretdb \
    FERRETDB_LISTEN_ADDR=:27017 FERRETDB_TELEMETRY=disable FERRETDB_DEBUG_ADDR=-
ENTRYPOINT ["/usr/local/bin/ferretdb"]
DOCKERFILE
)
if built_from "$ferret" "$ferret_recipe$ferret_version"; then
  log "$ferret exists: kept"
else
  ctx=$(mktemp -d)
  cp "$(bash scripts/ferretdb-build.sh)" "$ctx/ferretdb"
  printf '%s\n' "$ferret_recipe" >"$ctx/Dockerfile"
  d build -q --force-rm --build-arg "BASE=$base" --label "$(recipe_label "$ferret_recipe$ferret_version")" -t "$ferret" "$ctx" >/dev/null
  rm -rf "$ctx"
  log "built $ferret"
fi
# PostgreSQL 15 from Debian, FerretDB's backend in compose.yaml: its SQLite backend answers
# only queries by _id from an index (every other reads the whole collection) and crashed under
# load here (README, "FerretDB").
pg_recipe=$(cat <<'DOCKERFILE'
ARG BASE
FROM ${BASE}
COPY debs /tmp/debs
COPY postgres-start /usr/local/bin/postgres-start
# No cluster from the package: the entrypoint makes one in the volume at the first start.
RUN mkdir -p /etc/postgresql-common && echo "create_main_cluster = false" >/etc/postgresql-common/createcluster.conf \
 && dpkg -i /tmp/debs/*.deb >/dev/null && rm -rf /tmp/debs /usr/share/doc/* /usr/share/man/* \
 && mkdir -p /var/lib/postgresql/data /run/postgresql && chown -R postgres:postgres /var/lib/postgresql /run/postgresql
USER postgres
VOLUME /var/lib/postgresql/data
EXPOSE 5432
ENTRYPOINT ["/usr/local/bin/postgres-start"]
DOCKERFILE
)
pg_start=$(cat <<'SCRIPT'
#!/bin/sh
# Makes the cluster at the first start, then runs PostgreSQL in the foreground. Connections from
# other containers are trusted: the compose network is the site's own and the port is not
# published (FerretDB in front of it takes no password either: keep both off other networks).
set -eu
PGDATA=/var/lib/postgresql/data
bin=/usr/lib/postgresql/15/bin
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  "$bin/initdb" -D "$PGDATA" -U postgres --auth-local=trust --auth-host=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  echo "host all all 0.0.0.0/0 trust" >>"$PGDATA/pg_hba.conf"
fi
exec "$bin/postgres" -D "$PGDATA" -c listen_addresses='*' -c unix_socket_directories=/run/postgresql
SCRIPT
)
if built_from local/postgres:15 "$pg_recipe$pg_start"; then
  log "local/postgres:15 exists: kept"
else
  ctx=$(mktemp -d)
  fetch_debs "$ctx" postgresql-15
  printf '%s\n' "$pg_start" >"$ctx/postgres-start"
  chmod 755 "$ctx/postgres-start"
  printf '%s\n' "$pg_recipe" >"$ctx/Dockerfile"
  d build -q --force-rm --build-arg "BASE=$base" --label "$(recipe_label "$pg_recipe$pg_start")" -t local/postgres:15 "$ctx" >/dev/null
  rm -rf "$ctx"
  log "built local/postgres:15"
fi
if has_image local/redis:7; then
  log "local/redis:7 exists: kept"
else
  ctx=$(mktemp -d)
  fetch_debs "$ctx" redis-server
  cat >"$ctx/Dockerfile" <<'DOCKERFILE'
ARG BASE
FROM ${BASE}
COPY debs /tmp/debs
RUN dpkg -i /tmp/debs/*.deb >/dev/null && rm -rf /tmp/debs /usr/share/doc/* /usr/share/man/* \
 && mkdir -p /data && chown redis:redis /data
USER redis
WORKDIR /data
VOLUME /data
EXPOSE 6379
ENTRYPOINT ["/usr/bin/redis-server", "--bind", "0.0.0.0", "--protected-mode", "no", "--dir", "/data"]
DOCKERFILE
  d build -q --force-rm --build-arg "BASE=$base" -t local/redis:7 "$ctx" >/dev/null
  rm -rf "$ctx"
  log "built local/redis:7"
fi

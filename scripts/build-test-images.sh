#!/usr/bin/env bash
# Builds the images the tests and the demo use, locally: nothing can be pulled here.
# local/busybox:latest from Debian's busybox-static;
# local/memhog:latest, busybox with /bin/memhog (test-images/memhog.c, static) for the usage tests.
set -euo pipefail
sock=${GODOCKER_DOCKER_SOCKET:-/var/run/docker.sock}
here=$(cd "$(dirname "$0")" && pwd)
d() { docker -H "unix://$sock" "$@"; }

build_memhog() {
  d image inspect local/memhog:latest >/dev/null 2>&1 && return 0
  local dir
  dir=$(mktemp -d)
  gcc -static -O1 -o "$dir/memhog" "$here/test-images/memhog.c"
  local c
  c=$(d create local/busybox:latest /bin/memhog 1 0)
  d cp "$dir/memhog" "$c:/bin/memhog"
  d commit "$c" local/memhog:latest >/dev/null
  d rm "$c" >/dev/null
  rm -rf "$dir"
  echo "built local/memhog:latest"
}

if d image inspect local/busybox:latest >/dev/null 2>&1; then
  build_memhog
  exit 0
fi
bb=/bin/busybox
[ -x "$bb" ] && "$bb" --list >/dev/null 2>&1 || { echo "busybox-static missing: apt-get install busybox-static" >&2; exit 1; }
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
chmod 755 "$root"
mkdir -p "$root/bin" "$root/tmp" "$root/etc" "$root/root" "$root/home"
chmod 1777 "$root/tmp"
cp "$bb" "$root/bin/busybox"
for applet in $("$bb" --list); do
  [ "$applet" = busybox ] || ln -s busybox "$root/bin/$applet"
done
mkdir -p "$root/usr"; ln -s ../bin "$root/usr/bin"; ln -s bin "$root/sbin"
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n' >"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
tar -C "$root" -c . | d import -c 'ENV PATH=/bin' - local/busybox:latest >/dev/null
echo "built local/busybox:latest"
build_memhog

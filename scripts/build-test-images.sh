#!/usr/bin/env bash
# Builds the images the tests and the demo use, locally: nothing can be pulled here.
# local/busybox:latest from Debian's busybox-static.
set -euo pipefail
sock=${GODOCKER_DOCKER_SOCKET:-/var/run/docker.sock}
d() { docker -H "unix://$sock" "$@"; }
if d image inspect local/busybox:latest >/dev/null 2>&1; then exit 0; fi
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

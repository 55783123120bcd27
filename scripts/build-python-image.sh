#!/usr/bin/env bash
# Builds a local image for Python jobs from a virtual environment of scripts/python-venvs.sh:
# a Debian minbase rootfs with Debian's python3 (the interpreter the venvs are made with) and
# the venv copied in at the same path, first on PATH. Nothing can be pulled here, and a job's
# command line (`rlaunch`, `python -m snakemake`) must find the same tools as on the host.
#   scripts/build-python-image.sh VENV_DIR IMAGE [PACKAGE_DIR...]
# PACKAGE_DIRs (Python projects of this checkout) are installed into the image's copy of the venv
# only: the cached venv stays as its pins made it. The image is labelled with the venv's folder
# name (which carries the hash of its pins) and a hash of the packages' files, and is kept when it
# exists with that label. The Debian rootfs with python3 is made once (debootstrap,
# about 40 s) and cached in /var/cache/godocker/rootfs-python3-RELEASE.tar.
# Env: GODOCKER_DEBIAN_RELEASE (bookworm), GODOCKER_DEBIAN_MIRROR (the mirror apt uses here),
#      GODOCKER_DOCKER_SOCKET (/var/run/docker.sock). Needs root, debootstrap and a Docker engine.
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 VENV_DIR IMAGE [PACKAGE_DIR...]" >&2; exit 2; }
venv=$(readlink -f "$1")
image=$2
shift 2
packages=("$@")
release=${GODOCKER_DEBIAN_RELEASE:-bookworm}
sock=${GODOCKER_DOCKER_SOCKET:-/var/run/docker.sock}
cache=/var/cache/godocker
d() { docker -H "unix://$sock" "$@"; }
[ -x "$venv/bin/python" ] || { echo "$venv is not a virtual environment (no bin/python): run scripts/python-venvs.sh" >&2; exit 1; }
label=$(basename "$venv")
if [ ${#packages[@]} -gt 0 ]; then
  sources=$(find "${packages[@]}" -type f \( -name '*.py' -o -name '*.toml' -o -name '*.txt' -o -name '*.typed' \) \
    -not -path '*/tests/*' -not -path '*/__pycache__/*' -not -path '*/build/*' -not -path '*.egg-info/*' -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-12)
  label="$label+$sources"
fi
if d image inspect "$image" >/dev/null 2>&1 &&
  [ "$(d image inspect -f '{{index .Config.Labels "org.godocker.venv"}}' "$image")" = "$label" ]; then
  exit 0
fi
# The venv's interpreter must be one the image has: Debian's, at the same path.
home=$(sed -n 's/^home *= *//p' "$venv/pyvenv.cfg")
case "$home" in /usr/bin) ;; *) echo "$venv was made with $home/python3: the image has only Debian's /usr/bin/python3" >&2; exit 1 ;; esac

mirror() {
  if [ -n "${GODOCKER_DEBIAN_MIRROR:-}" ]; then echo "$GODOCKER_DEBIAN_MIRROR"; return; fi
  local m
  m=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | sed -n 's/^URIs: *\(\S*\/debian\/\?\)$/\1/p' | head -1)
  [ -n "$m" ] || m=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | sed -n 's/^deb \+\(\[[^]]*\] \+\)\?\(\S*\/debian\/\?\) .*/\2/p' | head -1)
  echo "${m:-http://deb.debian.org/debian}"
}

rootfs_tar="$cache/rootfs-python3-$release.tar"
if [ ! -s "$rootfs_tar" ]; then
  mkdir -p "$cache"
  tmp=$(mktemp -d /var/tmp/godocker-pyroot.XXXXXX)
  # shellcheck disable=SC2064 # the path now
  trap "rm -rf '$tmp'" EXIT
  echo "== debootstrap --variant=minbase --include=python3 $release from $(mirror) (about 40 s)" >&2
  debootstrap --variant=minbase --include=python3 "$release" "$tmp" "$(mirror)" >"$tmp.log" 2>&1 || {
    tail -20 "$tmp.log" >&2
    exit 1
  }
  rm -f "$tmp.log"
  chmod 755 "$tmp"
  rm -rf "$tmp"/usr/share/doc/* "$tmp"/usr/share/man/* "$tmp"/usr/share/locale/* "$tmp"/var/lib/apt/lists/* \
    "$tmp"/var/cache/apt/*.bin "$tmp"/var/cache/apt/archives/*.deb
  tar -C "$tmp" -cf "$rootfs_tar.part" .
  mv "$rootfs_tar.part" "$rootfs_tar"
  rm -rf "$tmp"
  trap - EXIT
fi

work=$(mktemp -d /var/tmp/godocker-pyimage.XXXXXX)
# shellcheck disable=SC2064 # the path now
trap "rm -rf '$work' '$work.src'" EXIT
tar -C "$work" -xf "$rootfs_tar"
mkdir -p "$work$(dirname "$venv")"
cp -a "$venv" "$work$venv"
if [ ${#packages[@]} -gt 0 ]; then
  site=$("$venv/bin/python" -c 'import sysconfig; print(sysconfig.get_path("purelib"))')
  # Built from copies: setuptools writes build/ and *.egg-info beside the sources it builds.
  mkdir -p "$work.src"
  copies=()
  for p in "${packages[@]}"; do
    cp -a "$p" "$work.src/" && rm -rf "$work.src/$(basename "$p")"/{build,*.egg-info}
    copies+=("$work.src/$(basename "$p")")
  done
  "$venv/bin/python" -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation --no-index \
    --target "$work$site" --upgrade "${copies[@]}" >&2
  rm -rf "$work.src"
fi
# __pycache__ folders the host wrote stay: they are valid for the same interpreter version.
previous=$(d image inspect -f '{{.Id}}' "$image" 2>/dev/null || true)
# The rootfs and the venv in one stream: one import, no layers to copy on a vfs engine.
tar -C "$work" -c . | d import \
  -c "ENV PATH=$venv/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8" \
  -c "LABEL org.godocker.venv=$label" \
  -c 'CMD ["/bin/sh"]' - "$image" >/dev/null
# The image this one replaced (a full copy of the rootfs on a vfs engine), when nothing else names it.
if [ -n "$previous" ] && [ "$(d image inspect -f '{{len .RepoTags}}' "$previous" 2>/dev/null)" = 0 ]; then
  d rmi "$previous" >/dev/null 2>&1 || true
fi
echo "built $image from $label" >&2

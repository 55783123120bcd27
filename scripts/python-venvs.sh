#!/usr/bin/env bash
# Builds the Python virtual environments of the integration tests, each ONCE into
# /var/cache/godocker/venv-NAME-KEY, KEY a hash of its pinned requirements file
# (packages/integrations/requirements/NAME.txt) and of the Python that builds it; later runs
# reuse it. A changed requirements file makes a new venv beside the old one.
#
#   scripts/python-venvs.sh client     -> prints the venv's path (what tests call)
#   scripts/python-venvs.sh            -> builds them all, prints "NAME PATH" lines
#
# The packages under test are not installed in it: tests install the checkout's packages
# into a temporary folder (packages/integrations/test/helpers/pytest-run.ts), so the cached
# venv never goes stale. GODOCKER_PYTHON picks the interpreter (default python3), unless the
# requirements file names one in a `# python: PATH` line (a venv that job images carry needs
# the interpreter the image has: scripts/build-python-image.sh); GODOCKER_VENV_CACHE the cache folder.
set -euo pipefail
cd "$(dirname "$0")/.."
reqdir=packages/integrations/requirements
cache=${GODOCKER_VENV_CACHE:-/var/cache/godocker}
python=${GODOCKER_PYTHON:-python3}

known() { for f in "$reqdir"/*.txt; do basename "$f" .txt; done; }
names=("$@")
[ ${#names[@]} -gt 0 ] || mapfile -t names < <(known)

build() {
  local name=$1 req=$reqdir/$1.txt key dir started
  if [ ! -f "$req" ]; then
    echo "python-venvs: no venv named \"$name\": known are $(known | tr '\n' ' ')(files in $reqdir)" >&2
    return 2
  fi
  local py
  py=$(sed -n 's/^# python: *//p' "$req" | head -1)
  py=${py:-$python}
  key=$({ cat "$req"; "$py" -c 'import sys; print(sys.version)'; } | sha256sum | cut -c1-16)
  dir=$cache/venv-$name-$key
  if [ ! -f "$dir/.complete" ]; then
    mkdir -p "$cache"
    # Two test runs may ask at once: one builds, the other waits for it.
    exec 9>"$cache/venv-$name.lock"
    flock 9
    if [ ! -f "$dir/.complete" ]; then
      rm -rf "$dir"
      started=$(date +%s)
      echo "python-venvs: building $dir (once)" >&2
      "$py" -m venv "$dir"
      "$dir/bin/python" -m pip install -q --disable-pip-version-check --no-input -r "$req" >&2
      "$dir/bin/python" -m pip check >&2
      echo "built in $(($(date +%s) - started)) s from $req" >"$dir/.complete"
      echo "python-venvs: $(cat "$dir/.complete")" >&2
    fi
    flock -u 9
    exec 9>&-
  fi
  if [ $# -eq 1 ] && [ ${#names[@]} -eq 1 ]; then echo "$dir"; else echo "$name $dir"; fi
}

for n in "${names[@]}"; do build "$n"; done

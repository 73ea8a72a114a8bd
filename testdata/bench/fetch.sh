#!/usr/bin/env bash
# Download (once) the .debs `make bench` reads into CACHE (default
# ${SYSTEMD_HARDEN_CACHE:-/var/cache/systemd-harden-test}/bench) and print
# their paths, one per line, in list order. Nothing is extracted.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${1:-${SYSTEMD_HARDEN_CACHE:-/var/cache/systemd-harden-test}/bench}
mkdir -p "$cache"
cd "$cache"
want=()
while IFS= read -r line; do
    case "$line" in ''|'#'*) continue ;; esac
    want+=("$line")
done < "$here/packages.txt"
file_for() { # name=version → the file name apt-get download writes
    local name=${1%%=*} version=${1#*=}
    ls -- "${name}_${version//:/%3a}_"*.deb 2>/dev/null | head -n1
}
missing=()
for p in "${want[@]}"; do
    [ -n "$(file_for "$p")" ] || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    if ! apt-get download -q -o APT::Sandbox::User=root "${missing[@]}" >&2; then
        apt-get update -q >&2
        apt-get download -q -o APT::Sandbox::User=root "${missing[@]}" >&2
    fi
fi
for p in "${want[@]}"; do
    f=$(file_for "$p")
    [ -n "$f" ] || { echo "fetch.sh: ${p} could not be downloaded" >&2; exit 1; }
    echo "$cache/$f"
done

#!/usr/bin/env bash
# Rewrite the versions in packages.txt to what the configured Debian 12 archive
# serves now. For each package it takes the binary version of the `bookworm`
# suite itself (the point release), falling back to apt's candidate when the
# package is only in bookworm-security / bookworm-updates.
# Usage: refresh-versions.sh [--no-update]   (runs `apt-get update` unless told not to)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
list="$here/packages.txt"
if [[ "${1:-}" != --no-update ]]; then
  apt-get update -qq || echo "refresh-versions: warning: apt-get update failed; using the lists apt has" >&2
fi
tmp=$(mktemp "$list.XXXXXX")
trap 'rm -f "$tmp"' EXIT
while IFS= read -r line || [[ -n "$line" ]]; do
  if [[ -z "${line//[[:space:]]/}" || "$line" == \#* ]]; then
    printf '%s\n' "$line" >>"$tmp"; continue
  fi
  name=${line%%=*}; old=${line#*=}
  new=$(apt-cache madison "$name" 2>/dev/null |
        awk -F'|' '$3 ~ / bookworm\/main / && $3 ~ /Packages[[:space:]]*$/ {gsub(/[[:space:]]/, "", $2); print $2; exit}')
  if [[ -z "$new" ]]; then
    new=$(apt-cache policy "$name" 2>/dev/null | awk '/Candidate:/ {print $2; exit}')
  fi
  if [[ -z "$new" || "$new" == "(none)" ]]; then
    echo "refresh-versions: error: no version of '$name' in the configured archive" >&2
    exit 1
  fi
  [[ "$new" != "$old" ]] && echo "$name: $old -> $new" >&2
  printf '%s=%s\n' "$name" "$new" >>"$tmp"
done <"$list"
chmod 644 "$tmp"
mv "$tmp" "$list"
trap - EXIT

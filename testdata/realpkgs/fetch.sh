#!/usr/bin/env bash
# Fetch the pinned Debian 12 packages listed in packages.txt and extract each
# one into its own tree, caching everything outside the repository.
#
# Usage: fetch.sh [CACHE_DIR]
#   CACHE_DIR defaults to ${SYSTEMD_HARDEN_CACHE:-/var/cache/systemd-harden-test}/realpkgs
#
# Layout written:
#   CACHE/debs/<name>_<version, ':' as %3a>_<arch>.deb   as `apt-get download` names it
#   CACHE/trees/<name>/                                  `dpkg-deb -x` of that .deb
#   CACHE/stamps/<name>                                  basename of the .deb the tree came from
#   CACHE/versions.txt                                   "name version path-to-deb" per package
#
# Idempotent: a package whose .deb is cached and whose tree was extracted from
# it is left alone, and apt is not called at all. `apt-get update` runs at
# most once, and only when apt does not know a version it has to download.
# Trees are extracted to a temporary directory and renamed into place, so an
# interrupted run never leaves a half tree. Concurrent runs serialise on a lock.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
list=${REALPKGS_LIST:-$here/packages.txt}
cache=${1:-${SYSTEMD_HARDEN_CACHE:-/var/cache/systemd-harden-test}/realpkgs}

die() { echo "fetch.sh: error: $*" >&2; exit 1; }
log() { echo "fetch.sh: $*" >&2; }

[[ -r "$list" ]] || die "cannot read package list $list"
for tool in apt-get apt-cache dpkg-deb flock; do
  command -v "$tool" >/dev/null 2>&1 || die "'$tool' not found (this needs a Debian system)"
done

mkdir -p "$cache/debs" "$cache/trees" "$cache/stamps"
cache=$(cd "$cache" && pwd)

# One run at a time per cache; leftovers of an interrupted run are removed.
exec 9>"$cache/.lock"
flock 9
rm -rf "$cache"/debs/.dl.* "$cache"/trees/.tmp.*

names=() versions=()
lineno=0
while IFS= read -r line || [[ -n "$line" ]]; do
  lineno=$((lineno + 1))
  line=${line%$'\r'}
  [[ -z "${line//[[:space:]]/}" || "$line" == \#* ]] && continue
  [[ "$line" =~ ^([a-z0-9][a-z0-9+.-]+)=([0-9A-Za-z.+~:-]+)$ ]] ||
    die "$list:$lineno: expected name=version, got '$line'"
  names+=("${BASH_REMATCH[1]}")
  versions+=("${BASH_REMATCH[2]}")
done <"$list"
((${#names[@]} > 0)) || die "$list lists no packages"

apt_opts=(-q)
((EUID == 0)) && apt_opts+=(-o APT::Sandbox::User=root)

# The cached .deb for name=version, or nothing.
cached_deb() {
  local enc=${2//:/%3a} f
  for f in "$cache/debs/${1}_${enc}_"*.deb; do
    [[ -f "$f" ]] && { printf '%s\n' "$f"; return 0; }
  done
  return 0
}

refresh_hint="run testdata/realpkgs/refresh-versions.sh and commit packages.txt"

# Download every pinned name=version in "$@" with one apt-get call.
download_all() {
  local pair tmp deb name version got_name got_version
  # --print-uris only resolves: it fails unless apt can download every pair.
  if ! apt-get -qq --print-uris download "$@" >/dev/null 2>&1; then
    log "apt cannot provide all of the pinned versions yet; running apt-get update once"
    apt-get "${apt_opts[@]}" update >&2 || log "warning: apt-get update failed"
    local missing=()
    if ! apt-get -qq --print-uris download "$@" >/dev/null 2>&1; then
      for pair in "$@"; do
        apt-get -qq --print-uris download "$pair" >/dev/null 2>&1 || missing+=("$pair")
      done
    fi
    if ((${#missing[@]} > 0)); then
      for pair in "${missing[@]}"; do
        echo "fetch.sh: error: package ${pair%%=*}: pinned version ${pair#*=} is not in the configured Debian archive (superseded?)" >&2
      done
      die "${#missing[@]} pinned package version(s) not downloadable; $refresh_hint"
    fi
  fi
  tmp=$(mktemp -d "$cache/debs/.dl.XXXXXX")
  if ! (cd "$tmp" && apt-get "${apt_opts[@]}" download "$@" >&2); then
    rm -rf "$tmp"
    die "'apt-get download' failed for: $* (see apt's error above naming the package); $refresh_hint"
  fi
  for pair in "$@"; do
    name=${pair%%=*} version=${pair#*=}
    deb=$(find "$tmp" -maxdepth 1 -name "${name}_${version//:/%3a}_*.deb" -print -quit)
    [[ -n "$deb" ]] || { rm -rf "$tmp"; die "package $name: apt-get download wrote no .deb for $pair"; }
    if ! got_name=$(dpkg-deb -f "$deb" Package) || ! got_version=$(dpkg-deb -f "$deb" Version); then
      rm -rf "$tmp"; die "package $name: downloaded file $(basename "$deb") is not a valid .deb"
    fi
    [[ "$got_name" == "$name" && "$got_version" == "$version" ]] ||
      { rm -rf "$tmp"; die "package $name: downloaded $got_name=$got_version, expected $pair"; }
    # Drop other cached versions of this package, then move the new one in.
    find "$cache/debs" -maxdepth 1 -name "${name}_*.deb" -delete
    mv "$deb" "$cache/debs/"
  done
  rm -rf "$tmp"
}

extract() {
  local name=$1 deb=$2 tree="$cache/trees/$1" stamp="$cache/stamps/$1" tmp
  if [[ -d "$tree" && -f "$stamp" && "$(<"$stamp")" == "$(basename "$deb")" ]]; then
    return 0
  fi
  log "extracting $(basename "$deb")"
  tmp=$(mktemp -d "$cache/trees/.tmp.$name.XXXXXX")
  dpkg-deb -x "$deb" "$tmp" || { rm -rf "$tmp"; die "package $name: dpkg-deb -x $deb failed"; }
  chmod 755 "$tmp"
  rm -f "$stamp"
  rm -rf "$tree"
  mv "$tmp" "$tree"
  basename "$deb" >"$stamp.new"
  mv "$stamp.new" "$stamp"
}

need=()
for i in "${!names[@]}"; do
  [[ -n "$(cached_deb "${names[$i]}" "${versions[$i]}")" ]] || need+=("${names[$i]}=${versions[$i]}")
done
if ((${#need[@]} > 0)); then
  log "downloading ${#need[@]} package(s): ${need[*]}"
  download_all "${need[@]}"
fi

out=()
for i in "${!names[@]}"; do
  name=${names[$i]} version=${versions[$i]}
  deb=$(cached_deb "$name" "$version")
  [[ -n "$deb" ]] || die "package $name: .deb for $version not found under $cache/debs after download"
  extract "$name" "$deb"
  out+=("$name $version $deb")
done

printf '%s\n' "${out[@]}" >"$cache/versions.txt.new"
mv "$cache/versions.txt.new" "$cache/versions.txt"
printf '%s\n' "${out[@]}"

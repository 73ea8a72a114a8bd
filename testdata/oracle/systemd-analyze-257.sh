#!/usr/bin/env bash
# systemd-analyze from systemd 257 (Debian 13 "trixie"), runnable on a Debian 12 host
# without installing anything system-wide.
#
# First use: downloads the trixie .debs listed in PKGS with a *private* apt setup
# (own sources.list, lists dir and cache; the host apt configuration is not changed),
# extracts them into one private root under the cache dir and records a stamp.
# Every later use only execs the cached binary through the cached trixie dynamic
# loader (no network).
#
# Usage: systemd-analyze-257.sh [systemd-analyze args...]
#   e.g. systemd-analyze-257.sh security --offline=true --root=TREE --security-policy=FILE foo.service
#
# Environment:
#   SYSTEMD_HARDEN_CACHE  cache base dir (default /var/cache/systemd-harden-test); files go to $SYSTEMD_HARDEN_CACHE/sa257/
#   SA257_MIRROR          Debian archive URI (default: the host's own main Debian archive URI from apt)
#   SA257_SUITE           suite to fetch from (default trixie)
#   SA257_KEYRING         keyring for signed-by= (default /usr/share/keyrings/debian-archive-keyring.gpg;
#                         bookworm's debian-archive-keyring already carries the trixie keys)
#   SA257_SPLIT_USR=1     if SYSTEMD_UNIT_PATH is unset, set it to the Debian-12 (split-usr) system unit
#                         search path, i.e. also search /lib/systemd/system (root-relative), with 252's
#                         precedence. 257 alone only searches /usr/lib/systemd/system. See README.md.
#   SA257_PRINT_ROOT=1    print the private root dir and exit (after bootstrapping if needed).
set -euo pipefail

CACHE_BASE="${SYSTEMD_HARDEN_CACHE:-/var/cache/systemd-harden-test}"
SA_DIR="$CACHE_BASE/sa257"
ROOT="$SA_DIR/root"
STAMP="$SA_DIR/.complete"
SUITE="${SA257_SUITE:-trixie}"
KEYRING="${SA257_KEYRING:-/usr/share/keyrings/debian-archive-keyring.gpg}"

# systemd-analyze (257) NEEDED: libsystemd-core-257.so libsystemd-shared-257.so libseccomp.so.2 libc.so.6
# libsystemd-shared-257.so: libacl libblkid libcap libcrypt libmount libcrypto(OPENSSL_3.4.0) libpam
#                           libseccomp libselinux libm libc
# libsystemd-core-257.so: libaudit libmount libseccomp libselinux
# transitive: libcap-ng (libaudit), libpcre2-8 (libselinux), libz + libzstd (libcrypto)
# All are taken from trixie so that no host library is mixed in (verified with LD_DEBUG=libs).
PKGS=(systemd libsystemd-shared libc6
      libacl1 libaudit1 libblkid1 libcap-ng0 libcap2 libcrypt1 libmount1 libpam0g
      libpcre2-8-0 libseccomp2 libselinux1 libssl3t64 libzstd1 zlib1g)

die() { echo "systemd-analyze-257.sh: $*" >&2; exit 1; }

host_mirror() {
    # The host's main Debian archive (the one serving its own release, not -security/-updates).
    apt-get indextargets --no-release-info --format '$(REPO_URI) $(RELEASE)' 'Created-By: Packages' 2>/dev/null |
        awk '$2 !~ /-/ && $1 !~ /security/ {print $1; exit}'
}

bootstrap() {
    command -v apt-get >/dev/null || die "apt-get not found"
    command -v dpkg-deb >/dev/null || die "dpkg-deb not found"
    [ -r "$KEYRING" ] || die "keyring $KEYRING not readable (install debian-archive-keyring)"
    local mirror="${SA257_MIRROR:-$(host_mirror)}"
    [ -n "$mirror" ] || die "cannot determine a Debian mirror from the host apt config; set SA257_MIRROR"
    mirror="${mirror%/}"

    local work; work="$(mktemp -d "$SA_DIR/bootstrap.XXXXXX")"
    # shellcheck disable=SC2064
    trap "rm -rf '$work'" EXIT
    mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/debs" "$work/root"
    echo "deb [signed-by=$KEYRING] $mirror $SUITE main" >"$work/sources.list"
    local apt_opts=(-q
        -o "Dir::Etc::SourceList=$work/sources.list"
        -o "Dir::Etc::SourceParts=/dev/null"
        -o "Dir::State::Lists=$work/lists"
        -o "Dir::Cache=$work/cache"
        -o "APT::Sandbox::User=root")
    echo "systemd-analyze-257.sh: bootstrapping systemd 257 from $mirror $SUITE into $SA_DIR" >&2
    apt-get "${apt_opts[@]}" update >"$work/update.log" 2>&1 || { cat "$work/update.log" >&2; die "apt-get update failed"; }
    # Refuse an unauthenticated index (apt only warns for some failures).
    if grep -qiE 'NO_PUBKEY|not signed|is not signed|EXPKEYSIG|BADSIG' "$work/update.log"; then
        cat "$work/update.log" >&2; die "signature check of $SUITE failed with $KEYRING"
    fi
    local cand
    cand="$(apt-cache "${apt_opts[@]}" policy systemd 2>/dev/null | awk '/Candidate:/{print $2; exit}')"
    case "$cand" in 257.*) ;; *) die "systemd in $SUITE is '$cand', expected 257.x" ;; esac
    (cd "$work/debs" && apt-get "${apt_opts[@]}" download "${PKGS[@]}" >"$work/download.log" 2>&1) ||
        { cat "$work/download.log" >&2; die "apt-get download failed"; }
    local deb
    for deb in "$work"/debs/*.deb; do dpkg-deb -x "$deb" "$work/root"; done
    local out
    out="$(run_in "$work/root" --version | head -n1)" || die "extracted systemd-analyze does not run"
    case "$out" in "systemd 257 "*) ;; *) die "unexpected version: $out" ;; esac

    rm -rf "$ROOT" "$SA_DIR/debs"
    mv "$work/root" "$ROOT"
    mv "$work/debs" "$SA_DIR/debs"
    (cd "$SA_DIR/debs" && ls -1 -- *.deb) >"$SA_DIR/packages.txt"
    printf '%s\n' "$out" >"$STAMP"
    rm -rf "$work"
    trap - EXIT
}

run_in() {
    local r="$1"; shift
    local ldso="$r/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"
    [ -x "$ldso" ] || ldso="$r/usr/lib64/ld-linux-x86-64.so.2"
    # --inhibit-cache: ignore the host's /etc/ld.so.cache so only trixie libraries are used.
    "$ldso" --inhibit-cache \
        --library-path "$r/usr/lib/x86_64-linux-gnu/systemd:$r/usr/lib/x86_64-linux-gnu:$r/lib/x86_64-linux-gnu" \
        --argv0 systemd-analyze \
        "$r/usr/bin/systemd-analyze" "$@"
}

if [ ! -f "$STAMP" ] || [ ! -x "$ROOT/usr/bin/systemd-analyze" ]; then
    mkdir -p "$SA_DIR"
    exec 9>"$SA_DIR/.lock"
    flock 9
    if [ ! -f "$STAMP" ] || [ ! -x "$ROOT/usr/bin/systemd-analyze" ]; then
        bootstrap
    fi
    exec 9>&-
fi

if [ "${SA257_PRINT_ROOT:-}" = 1 ]; then
    echo "$ROOT"
    exit 0
fi

if [ "${SA257_SPLIT_USR:-}" = 1 ] && [ -z "${SYSTEMD_UNIT_PATH+x}" ]; then
    # systemd 252 on Debian 12 (split-usr build) system search path, minus the
    # generator/transient dirs (unused offline). Entries are taken relative to --root.
    export SYSTEMD_UNIT_PATH=/etc/systemd/system.control:/run/systemd/system.control:/etc/systemd/system:/etc/systemd/system.attached:/run/systemd/system:/run/systemd/system.attached:/usr/local/lib/systemd/system:/lib/systemd/system:/usr/lib/systemd/system
fi

run_in "$ROOT" "$@"

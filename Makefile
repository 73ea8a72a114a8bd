# systemd-harden — build, test and measure.
#
#   make build   build bin/systemd-harden
#   make demo    build and score the bundled example units
#   make test    install what the tests need (Debian packages, real .debs,
#                the systemd 257 oracle; all cached outside the repo) and run them
#   make bench   scoring throughput vs systemd-analyze, measured in one run
#   make fuzz    run every fuzz target for a bounded number of executions
#   make install DESTDIR=… PREFIX=…
#   make clean

GO        ?= go
PREFIX    ?= /usr/local
DESTDIR   ?=
BINDIR    ?= $(PREFIX)/bin
# rpm reads macros.d from its own directory, whatever PREFIX is.
RPMMACRODIR ?= /usr/lib/rpm/macros.d
VERSION   ?= $(or $(shell awk -F'[()]' 'NR==1{print $$2}' debian/changelog 2>/dev/null | sed 's/-[^-]*$$//'),0.0.0)
LDFLAGS   := -X github.com/systemd-harden/systemd-harden/internal/cli.Version=$(VERSION)
GOFLAGS_BUILD := -trimpath -buildvcs=false
export SYSTEMD_HARDEN_CACHE ?= /var/cache/systemd-harden-test
FUZZTIME  ?= 200000x

# Debian packages the tests need: the 252 oracle (systemd-analyze), dpkg-deb,
# apt-get download, flock, xz, rpmbuild (Debian's rpm) for the RPM reader's
# fixtures and the %systemd_harden macro tests (rpmspec, rpmlint), zstd and
# bzip2 for compressed test packages, lintian for the .deb writer's checks;
# build-essential, debhelper and mmdebstrap build sample source packages and
# upgrade them in a chroot (migrate-sysv); systemd-container (systemd-nspawn)
# boots the services under the tiers (testdata/boot).
TEST_DEBS := systemd dpkg-dev apt util-linux xz-utils ca-certificates rpm rpm2cpio cpio zstd bzip2 lintian rpmlint \
             build-essential debhelper mmdebstrap systemd-container
TEST_CMDS := systemd-analyze dpkg-deb apt-get flock xz rpmbuild rpmspec rpm2cpio cpio zstd bzip2 lintian rpmlint \
             dpkg-buildpackage dh mmdebstrap systemd-nspawn nsenter

.PHONY: all build demo test deps fetch bench fuzz install clean vet deb dist man boot-test

all: build

build:
	$(GO) build $(GOFLAGS_BUILD) -ldflags '$(LDFLAGS)' -o bin/systemd-harden ./cmd/systemd-harden

demo: build
	@rm -rf bin/demo && cp -a testdata/examples/demo-root bin/demo
	@echo '== before: exposure of the bundled example units (score) =='
	@bin/systemd-harden score --format json bin/demo | \
	  sed -E 's/^.*"unit":"([^"]*)".*"exposure":([0-9.]+|null),"level":("[A-Z]+"|null).*$$/  \1 \2 \3/'
	@echo '== apply --tier strict: one drop-in per unit, with the plan =='
	bin/systemd-harden apply --tier strict bin/demo
	@echo '== after =='
	@bin/systemd-harden score --format json bin/demo | \
	  sed -E 's/^.*"unit":"([^"]*)".*"exposure":([0-9.]+|null),"level":("[A-Z]+"|null).*$$/  \1 \2 \3/'
	@echo '== check --tier strict: what is still missing, and why (lintian format) =='
	bin/systemd-harden check --tier strict --fail-on none bin/demo

# deps installs the Debian packages the tests need, only when missing
# (apt-get update runs once, then one apt-get install).
deps:
	@missing=; for c in $(TEST_CMDS); do command -v $$c >/dev/null 2>&1 || missing=1; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing test dependencies: $(TEST_DEBS)"; \
	  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $(TEST_DEBS); \
	fi

# fetch downloads (once; cached in $(SYSTEMD_HARDEN_CACHE)) the real Debian
# packages and the systemd 257 oracle the tests compare against.
fetch: deps
	@echo "real Debian packages used by the tests (name version file):"
	testdata/realpkgs/fetch.sh "$(SYSTEMD_HARDEN_CACHE)/realpkgs" >/dev/null
	@sed 's/^/  /' "$(SYSTEMD_HARDEN_CACHE)/realpkgs/versions.txt"
	testdata/oracle/systemd-analyze-257.sh --version | head -1

test: fetch vet
	SYSTEMD_HARDEN_REQUIRE_ORACLE=1 SYSTEMD_HARDEN_ORACLE_257=1 $(GO) test ./...
	@echo "== boot smoke: three real services, one per tier, under systemd-nspawn (skipped, with the reason, where containers cannot boot) =="
	$(GO) test -count=1 -v -timeout 20m ./testdata/boot/

# boot-test boots every (service, tier) case: 20 real services x 3 tiers,
# each beside its unhardened control (root, Debian 12, systemd-nspawn).
boot-test: deps
	SYSTEMD_HARDEN_BOOT_SET=full $(GO) test -count=1 -v -timeout 60m ./testdata/boot/

vet:
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || { gofmt -l .; echo 'gofmt needed'; exit 1; }
	$(GO) vet ./... ./testdata/boot/

# bench prints, each measured in the same run as its baseline:
#  - scoring throughput (units/s, from disk and in memory) and the ratio to
#    systemd-analyze security --offline batched over the same units;
#  - score on ten real .debs (two large) vs dpkg-deb --fsys-tarfile | tar -t;
#  - --jobs 2 over the 63 test packages vs the serial run;
#  - score vs lintian on three packages;
#  - median and mean exposure before/after baseline and strict over the real
#    packages' service units, beside openSUSE's untested block.
bench: fetch
	@command -v lintian >/dev/null 2>&1 || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends lintian; }
	testdata/bench/fetch.sh >/dev/null
	$(GO) test -run '^$$' -bench 'BenchmarkScore' -benchtime 20x ./internal/score/
	$(GO) test -run '^$$' -bench 'BenchmarkDebs|BenchmarkJobs' -benchtime 3x ./internal/cli/
	$(GO) test -run '^$$' -bench 'BenchmarkLintian' -benchtime 1x ./internal/cli/
	@echo "== time dh_systemd_harden adds to a package build, beside dh_installsystemd (goal <= 100 ms) =="
	$(GO) test -run '^$$' -bench 'BenchmarkCommand' -benchtime 20x ./internal/dhtest/
	@echo "== exposure of every real service unit before and after each tier (openSUSE's block for comparison) =="
	@$(GO) test -count=1 -run '^TestRealSummary$$' -v ./internal/plan/ | grep -E '^ +real_test.go:[0-9]+: tier ' | sed 's/^ *real_test.go:[0-9]*: //'

fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./internal/unitfile/
	$(GO) test -run '^$$' -fuzz '^FuzzAgainstGoSystemd$$' -fuzztime $(FUZZTIME) ./internal/unitfile/
	$(GO) test -run '^$$' -fuzz '^FuzzScore$$' -fuzztime $(FUZZTIME) ./internal/score/
	$(GO) test -run '^$$' -fuzz '^FuzzRead$$' -fuzztime $(FUZZTIME) ./internal/debread/
	$(GO) test -run '^$$' -fuzz '^FuzzRead$$' -fuzztime $(FUZZTIME) ./internal/rpmread/
	$(GO) test -run '^$$' -fuzz '^FuzzAdd$$' -fuzztime $(FUZZTIME) ./internal/arwriter/
	$(GO) test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) ./internal/dhopts/

install: build
	install -D -m 0755 bin/systemd-harden $(DESTDIR)$(BINDIR)/systemd-harden
	install -D -m 0644 rpmmacros/macros.systemd_harden $(DESTDIR)$(RPMMACRODIR)/macros.systemd_harden

# man generates the man pages from the commands' flag definitions.
man:
	$(GO) run ./internal/manpage/cmd/genman -o bin/man

# deb builds the project's own packages (systemd-harden, dh-systemd-harden)
# into .. and checks them (lintian, contents, the autopkgtest in a scratch
# root). -d: Go >= 1.26 is not in Debian 12; the Go on PATH is used.
deb:
	PATH=$(dir $(shell command -v $(GO))):$$PATH dpkg-buildpackage -us -uc -b -d
	SYSTEMD_HARDEN_DEBS=$(abspath ..) $(GO) test -count=1 -run TestProjectPackages ./internal/dhtest/

# dist makes the source tarball with the Go modules vendored, so the
# package builds without network (debian/rules uses vendor/ when present).
# Reproducible: sorted, owner 0, mtimes from the changelog.
DIST_EPOCH = $(or $(SOURCE_DATE_EPOCH),$(shell dpkg-parsechangelog -STimestamp 2>/dev/null),0)
dist:
	rm -rf dist && mkdir -p dist/systemd-harden-$(VERSION)
	git archive HEAD | tar -x -C dist/systemd-harden-$(VERSION)
	cd dist/systemd-harden-$(VERSION) && $(GO) mod vendor
	tar --sort=name --mtime=@$(DIST_EPOCH) --owner=0 --group=0 --numeric-owner \
	  -C dist -cJf dist/systemd-harden_$(VERSION).tar.xz systemd-harden-$(VERSION)
	@echo dist/systemd-harden_$(VERSION).tar.xz

clean:
	rm -rf bin dist

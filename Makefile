# kvm-riscv: the distro's RISC-V KVM module plus upstream fixes, built out
# of tree.  See README.md.

KVER ?=
KSRC ?=
KHDR ?=
STRICT ?=
EXCLUDE ?=
vars = $(if $(KVER),KVER=$(KVER)) $(if $(KSRC),KSRC=$(KSRC)) \
	$(if $(KHDR),KHDR=$(KHDR)) $(if $(STRICT),STRICT=$(STRICT)) \
	$(if $(EXCLUDE),EXCLUDE=$(EXCLUDE))

all: module

module:
	@scripts/acquire build $(vars)

fixes:
	@scripts/acquire fixes $(vars)

# Every upstream RISC-V KVM fix of the catalogue (catalogue/) against a
# kernel source: upstream, applied by the series, missing, not-applicable.
audit:
	@scripts/audit $(if $(KVER),KVER=$(KVER)) $(if $(KSRC),KSRC=$(KSRC)) $(if $(ALL),ALL=$(ALL))

check:
	@tests/run

# The whole matrix: make check plus every scenario on every test kernel,
# the upstream selftests and PLIC.
check-full:
	@tests/run harness archive style series audit errors build dkms fleet bed matrix debug

# The debug bed: lockdep/KASAN/kmemleak kernels built from Debian's
# linux-source (6.12 and 6.1; cold ~30 min each, then cached), the proofs
# Debian's kernels cannot give, and the 6.1 series.
check-debug:
	@tests/run debug

# One debug kernel: make debug-kernel LINE=6.12|6.1 [SVER=X.Y.Z]
LINE ?= 6.12
SVER ?=
debug-kernel:
	@scripts/debug-kernel build LINE=$(LINE) $(if $(SVER),SVER=$(SVER))

# One run-time scenario: make bed SCENARIO=teardown KVER=... MODULE=stock|ours|dkms|control-<fix id> MACHINE=aia|plic
# (KVER defaults to Debian 13's current riscv64 kernel).
SCENARIO ?= smoke
MODULE ?= ours
MACHINE ?= aia
bed:
	@tests/bed/run $(SCENARIO) '$(KVER)' $(MODULE) $(MACHINE)

style:
	@tests/run style

# Benchmarks against the stock module (not tests): BENCHMARKS.md.
RUNS ?= 5
bench:
	@bench/run $(if $(KVER),KVER=$(KVER)) RUNS=$(RUNS) $(if $(CONTROLS),CONTROLS="$(CONTROLS)")

# The long stress run (the short one is in check-full): 1000 load/unload
# cycles with a VM every 10th, rmmod under a running VM, a 60 s HSM
# storm, 500 VMs of 4 vCPUs, 100,000 random SBI calls from each of ten
# seeds; our module on Debian 13's current kernel.
stress:
	@BED_CYCLES=1000 BED_VM_EVERY=10 STRESS_HSM=60 STRESS_VMS=500 STRESS_FUZZ_SEEDS="1 2 3 4 5 6 7 8 9 10" \
		tests/bed/run stress '$(KVER)' ours aia

# The DKMS source tree, /usr/src/kvm-riscv-<version>: the builder, its
# Kbuild glue and the series; nothing else.  The one version source is
# debian/changelog.  install-src stamps it into dkms.conf for a manual
# `dkms add`; the package leaves that to dh_dkms -V (install-tree).
VERSION = $(shell dpkg-parsechangelog -l debian/changelog -S Version)
DKMS_TREE = $(wildcard src/*) $(shell find patches -type f \( -name '*.patch' -o -name fix \))
DESTDIR ?=
install-tree:
	@[ -n "$(VERSION)" ] || { echo "kvm-riscv: error: cannot read the version (dpkg-parsechangelog: apt-get install dpkg-dev)" >&2; exit 1; }
	@for f in $(DKMS_TREE); do \
		install -D -m $$(test -x $$f && echo 755 || echo 644) $$f \
			$(DESTDIR)/usr/src/kvm-riscv-$(VERSION)/$$f || exit 1; done
install-src: install-tree
	@sed 's/^PACKAGE_VERSION="#MODULE_VERSION#"$$/PACKAGE_VERSION="$(VERSION)"/' dkms.conf \
		> $(DESTDIR)/usr/src/kvm-riscv-$(VERSION)/dkms.conf
install:
	install -D -m 755 scripts/kvm-riscv-status $(DESTDIR)/usr/sbin/kvm-riscv-status
	install -D -m 644 debian/kvm-riscv-status.8 $(DESTDIR)/usr/share/man/man8/kvm-riscv-status.8

# build/deb/kvm-riscv-dkms_<version>_all.deb, built in a Debian 13 root.
deb:
	@scripts/kvm-riscv-pkg deb

# build/dist/kvm-riscv-<version>.tar.xz; KVERS="..." adds a bundle with the
# kernels' sources for offline servers.
dist:
	@scripts/kvm-riscv-pkg dist $(KVERS)

check-dkms:
	@tests/run dkms

# Fleets: a binary package per kernel (KVER=<release>, several, or LINE=X.Y
# for every one the archive has), signed with SIGN_KEY/SIGN_CERT if given;
# the self-test package; a signed apt repository of all of them
# (REPO_KEY=<gpg key id>).
SIGN_KEY ?=
SIGN_CERT ?=
REPO_KEY ?=
fleet_vars = $(foreach k,$(KVER),KVER=$(k)) $(if $(LINE_SET),LINE=$(LINE)) \
	$(if $(SIGN_KEY),SIGN_KEY=$(SIGN_KEY)) $(if $(SIGN_CERT),SIGN_CERT=$(SIGN_CERT))
LINE_SET = $(filter command line,$(origin LINE))
modules-deb:
	@scripts/kvm-riscv-pkg modules-deb $(fleet_vars)
tests-deb:
	@scripts/kvm-riscv-pkg tests-deb
repo:
	@scripts/kvm-riscv-pkg repo $(fleet_vars) $(if $(REPO_KEY),REPO_KEY=$(REPO_KEY))
check-fleet:
	@tests/run fleet

# dkms install + modprobe natively on riscv64, in a QEMU guest (slow).
check-native:
	@tests/run native

clean:
	rm -rf build

.PHONY: modules-deb tests-deb repo check-fleet bench stress audit all module fixes check check-full check-debug debug-kernel style clean bed install-tree install-src install deb dist check-dkms check-native

# kvm-riscv: the distro's RISC-V KVM module plus upstream fixes, built out
# of tree.  See README.md.

KVER ?=
KSRC ?=
KHDR ?=
STRICT ?=
vars = $(if $(KVER),KVER=$(KVER)) $(if $(KSRC),KSRC=$(KSRC)) \
	$(if $(KHDR),KHDR=$(KHDR)) $(if $(STRICT),STRICT=$(STRICT))

all: module

module:
	@scripts/kvm-riscv-build build $(vars)

fixes:
	@scripts/kvm-riscv-build fixes $(vars)

check:
	@tests/run

# The whole matrix: make check plus every scenario on every test kernel,
# the upstream selftests and PLIC.
check-full:
	@tests/run harness archive style series errors build dkms bed matrix

# One run-time scenario: make bed SCENARIO=teardown KVER=... MODULE=stock|ours|dkms MACHINE=aia|plic
SCENARIO ?= smoke
MODULE ?= ours
MACHINE ?= aia
bed:
	@k='$(KVER)'; [ -n "$$k" ] || k=$$(scripts/kvm-riscv-build resolve | sed -n 's/^KVER=//p'); \
	[ -n "$$k" ] || exit 1; tests/bed/run $(SCENARIO) "$$k" $(MODULE) $(MACHINE)

style:
	@tests/run style

# DKMS source tree (/usr/src/kvm-riscv-<version>) and the status command.
VERSION := $(shell cat VERSION)
DKMS_FILES = dkms.conf VERSION $(wildcard scripts/*.sh) scripts/kvm-riscv-build \
	$(wildcard src/*) $(shell find patches -type f -name '*.patch' -o -type f -name fix)
DESTDIR ?=
install-src:
	@for f in $(DKMS_FILES); do \
		install -D -m $$(test -x $$f && echo 755 || echo 644) $$f \
			$(DESTDIR)/usr/src/kvm-riscv-$(VERSION)/$$f || exit 1; done
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

# dkms install + modprobe natively on riscv64, in a QEMU guest (slow).
check-native:
	@tests/run native

clean:
	rm -rf build

.PHONY: all module fixes check check-full style clean bed install-src install deb dist check-dkms check-native

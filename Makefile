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

# One run-time scenario: make bed SCENARIO=teardown KVER=... MODULE=stock|ours MACHINE=aia|plic
SCENARIO ?= smoke
MODULE ?= ours
MACHINE ?= aia
bed:
	@tests/bed/run $(SCENARIO) $(if $(KVER),$(KVER),$$(scripts/kvm-riscv-build fixes 2>&1 >/dev/null | sed -n 's/^kvm-riscv: fixes for \([^ ]*\) .*/\1/p')) $(MODULE) $(MACHINE)

style:
	@tests/run style

clean:
	rm -rf build

.PHONY: all module fixes check style clean bed

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

style:
	@tests/run style

clean:
	rm -rf build

.PHONY: all module fixes check style clean

// SPDX-License-Identifier: GPL-2.0
/*
 * aia-late-vcpu: a vCPU created after the VM's AIA irqchip was
 * initialised has no IMSIC state.  The VMM then asks about one of its
 * IMSIC registers (KVM_HAS_DEVICE_ATTR: NULL dereference before
 * 11366ead4f14), reads it (KVM_GET_DEVICE_ATTR: before aeb1d17d1af5) and
 * runs the vCPU (the IMSIC update of KVM_RUN: before 003b9dae53ae, in
 * the hardware-accelerated and automatic modes).  Each must answer, not
 * oops the host: -ENODEV twice, then the guest runs.
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kvmtest.h"

static const char *const mode_name[] = { "emul", "hwaccel", "auto" };

int cmd_aia_late_vcpu(int argc, char **argv)
{
	struct kvm_create_device dev = { .type = KVM_DEV_TYPE_RISCV_AIA };
	__u64 isel_attr = KVM_DEV_RISCV_AIA_IMSIC_MKATTR(0, 0x70);	/* eidelivery */
	struct kvm_device_attr a = { .group = KVM_DEV_RISCV_AIA_GRP_IMSIC, .attr = isel_attr };
	__u32 mode = ~0U;
	__u64 val = 0;
	struct kvm_run *run;
	struct vcpu *v;
	struct vm vm;
	int r;

	(void)argv;
	if (argc > 1)
		result_fail("aia-late-vcpu: no arguments");
	vm_create(&vm, 0, false);
	if (ioctl(vm.fd, KVM_CREATE_DEVICE, &dev))
		result_fail("aia-late-vcpu: KVM_CREATE_DEVICE(AIA): %s (a kernel without AIA?)",
			    strerror(errno));
	a.group = KVM_DEV_RISCV_AIA_GRP_CTRL;
	a.attr = KVM_DEV_RISCV_AIA_CTRL_INIT;
	if (ioctl(dev.fd, KVM_SET_DEVICE_ATTR, &a))
		result_fail("aia-late-vcpu: AIA init with no vCPU: %s", strerror(errno));
	a.group = KVM_DEV_RISCV_AIA_GRP_CONFIG;
	a.attr = KVM_DEV_RISCV_AIA_CONFIG_MODE;
	a.addr = (__u64)(unsigned long)&mode;
	if (ioctl(dev.fd, KVM_GET_DEVICE_ATTR, &a))
		result_fail("aia-late-vcpu: KVM_GET_DEVICE_ATTR(mode): %s", strerror(errno));
	note("aia-late-vcpu: AIA irqchip initialised with no vCPU, mode %s",
	     mode < 3 ? mode_name[mode] : "?");

	vm_add_vcpu(&vm);
	v = &vm.vcpu[0];
	note("aia-late-vcpu: vCPU 0 created after the init");

	a.group = KVM_DEV_RISCV_AIA_GRP_IMSIC;
	a.attr = isel_attr;
	a.addr = (__u64)(unsigned long)&val;
	r = ioctl(dev.fd, KVM_HAS_DEVICE_ATTR, &a) ? errno : 0;
	note("aia-late-vcpu: KVM_HAS_DEVICE_ATTR(IMSIC of vCPU 0): %s", r ? strerror(r) : "0");
	if (r != ENODEV)
		result_fail("aia-late-vcpu: KVM_HAS_DEVICE_ATTR(IMSIC of vCPU 0) gave %d, expected ENODEV", r);
	r = ioctl(dev.fd, KVM_GET_DEVICE_ATTR, &a) ? errno : 0;
	note("aia-late-vcpu: KVM_GET_DEVICE_ATTR(IMSIC of vCPU 0): %s", r ? strerror(r) : "0");
	if (r != ENODEV)
		result_fail("aia-late-vcpu: KVM_GET_DEVICE_ATTR(IMSIC of vCPU 0) gave %d, expected ENODEV", r);

	vcpu_enter(v, ENTRY_SMOKE, 1, GUEST_MMIO, 0, 0);
	run = next_exit(v, "aia-late-vcpu");
	if (!is_vmt(run, VMT_PING))
		result_fail("aia-late-vcpu: the guest's first exit was %s", exit_name(run->exit_reason));
	note("aia-late-vcpu: KVM_RUN of vCPU 0: the guest ran to its first SBI call");
	close(dev.fd);
	vm_close_fds(&vm);
	vm_free_mem(&vm);
	result_pass();
}

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
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kvmtest.h"

const char *aia_mode_name(__u32 mode)
{
	static const char *const name[] = { "emul", "hwaccel", "auto" };

	return mode < 3 ? name[mode] : "?";
}

static void aia_set(int dev, __u32 group, __u64 attr, void *val, bool get,
		    const char *what)
{
	struct kvm_device_attr a = {
		.group = group, .attr = attr, .addr = (__u64)(unsigned long)val,
	};

	if (ioctl(dev, get ? KVM_GET_DEVICE_ATTR : KVM_SET_DEVICE_ATTR, &a))
		result_fail("%s: %s", what, strerror(errno));
}

/*
 * The VM's AIA irqchip, initialised in the mode KVM picks (*mode): with
 * vCPU 0's IMSIC at IMSIC_GPA unless it is 0.  WHO names the scenario in
 * a failure.  Returns the device's fd.
 */
int aia_create(struct vm *vm, const char *who, uint64_t imsic_gpa, __u32 *mode)
{
	struct kvm_create_device dev = { .type = KVM_DEV_TYPE_RISCV_AIA };
	char what[96];

	if (ioctl(vm->fd, KVM_CREATE_DEVICE, &dev))
		result_fail("%s: KVM_CREATE_DEVICE(AIA): %s (a kernel without AIA?)", who,
			    strerror(errno));
	if (imsic_gpa) {
		snprintf(what, sizeof(what), "%s: vCPU 0's IMSIC at 0x%llx", who,
			 (unsigned long long)imsic_gpa);
		aia_set(dev.fd, KVM_DEV_RISCV_AIA_GRP_ADDR, KVM_DEV_RISCV_AIA_ADDR_IMSIC(0),
			&imsic_gpa, false, what);
	}
	snprintf(what, sizeof(what), "%s: AIA init with %d vCPU(s)", who, vm->nr_vcpus);
	aia_set(dev.fd, KVM_DEV_RISCV_AIA_GRP_CTRL, KVM_DEV_RISCV_AIA_CTRL_INIT, NULL, false, what);
	*mode = ~0U;
	snprintf(what, sizeof(what), "%s: KVM_GET_DEVICE_ATTR(mode)", who);
	aia_set(dev.fd, KVM_DEV_RISCV_AIA_GRP_CONFIG, KVM_DEV_RISCV_AIA_CONFIG_MODE, mode, true, what);
	return dev.fd;
}

int cmd_aia_late_vcpu(int argc, char **argv)
{
	__u64 isel_attr = KVM_DEV_RISCV_AIA_IMSIC_MKATTR(0, 0x70);	/* eidelivery */
	struct kvm_device_attr a = { .group = KVM_DEV_RISCV_AIA_GRP_IMSIC, .attr = isel_attr };
	__u64 val = 0;
	struct kvm_run *run;
	struct vcpu *v;
	struct vm vm;
	__u32 mode;
	int r, dev;

	(void)argv;
	if (argc > 1)
		result_fail("aia-late-vcpu: no arguments");
	vm_create(&vm, 0, false);
	dev = aia_create(&vm, "aia-late-vcpu", 0, &mode);
	note("aia-late-vcpu: AIA irqchip initialised with no vCPU, mode %s", aia_mode_name(mode));

	vm_add_vcpu(&vm);
	v = &vm.vcpu[0];
	note("aia-late-vcpu: vCPU 0 created after the init");

	a.addr = (__u64)(unsigned long)&val;
	r = ioctl(dev, KVM_HAS_DEVICE_ATTR, &a) ? errno : 0;
	note("aia-late-vcpu: KVM_HAS_DEVICE_ATTR(IMSIC of vCPU 0): %s", r ? strerror(r) : "0");
	if (r != ENODEV)
		result_fail("aia-late-vcpu: KVM_HAS_DEVICE_ATTR(IMSIC of vCPU 0) gave %d, expected ENODEV", r);
	r = ioctl(dev, KVM_GET_DEVICE_ATTR, &a) ? errno : 0;
	note("aia-late-vcpu: KVM_GET_DEVICE_ATTR(IMSIC of vCPU 0): %s", r ? strerror(r) : "0");
	if (r != ENODEV)
		result_fail("aia-late-vcpu: KVM_GET_DEVICE_ATTR(IMSIC of vCPU 0) gave %d, expected ENODEV", r);

	vcpu_enter(v, ENTRY_SMOKE, 1, GUEST_MMIO, 0, 0);
	run = next_exit(v, "aia-late-vcpu");
	if (!is_vmt(run, VMT_PING))
		result_fail("aia-late-vcpu: the guest's first exit was %s", exit_name(run->exit_reason));
	note("aia-late-vcpu: KVM_RUN of vCPU 0: the guest ran to its first SBI call");
	close(dev);
	vm_close_fds(&vm);
	vm_free_mem(&vm);
	result_pass();
}

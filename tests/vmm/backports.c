// SPDX-License-Identifier: GPL-2.0
/*
 * Scenarios of the security series: each drives a path an upstream fix
 * changes and fails with that fix's symptom where the fix is missing.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kvmtest.h"

#define STA_REG(name)	(KVM_REG_RISCV | KVM_REG_SIZE_U64 | KVM_REG_RISCV_SBI_STATE | \
			 KVM_REG_RISCV_SBI_STA | KVM_REG_RISCV_SBI_STA_REG(name))

static int set_reg_errno(struct vcpu *v, uint64_t id, uint64_t val)
{
	struct kvm_one_reg reg = { .id = id, .addr = (uintptr_t)&val };

	return ioctl(v->fd, KVM_SET_ONE_REG, &reg) ? errno : 0;
}

/*
 * c7832534a816: the guest's lb/lh/lw from MMIO must come back sign-extended
 * (lbu zero-extended).
 */
int cmd_mmio_sign(int argc, char **argv)
{
	static const struct { const char *insn; unsigned int len; uint64_t data, want; } ld[] = {
		{ "lb", 1, 0x80, 0xffffffffffffff80ULL },
		{ "lh", 2, 0x8000, 0xffffffffffff8000ULL },
		{ "lw", 4, 0x80000000, 0xffffffff80000000ULL },
		{ "lbu", 1, 0x80, 0x80 },
	};
	struct kvm_run *run;
	struct vm vm;
	uint64_t got[4];
	unsigned int i;
	int bad = -1;

	(void)argc; (void)argv;
	vm_create(&vm, 1, false);
	vcpu_enter(&vm.vcpu[0], ENTRY_MMIOSIGN, 0, 0, 0, 0);
	for (i = 0; i < ARRAY_SIZE(ld); i++) {
		run = next_exit(&vm.vcpu[0], "mmio-sign");
		if (run->exit_reason != KVM_EXIT_MMIO || run->mmio.is_write ||
		    run->mmio.phys_addr != GUEST_MMIO || run->mmio.len != ld[i].len)
			result_fail("mmio-sign: %s: expected a %u-byte MMIO load at 0x%x, got exit %s write %d addr 0x%llx len %u",
				    ld[i].insn, ld[i].len, GUEST_MMIO, exit_name(run->exit_reason),
				    run->mmio.is_write, (unsigned long long)run->mmio.phys_addr,
				    run->mmio.len);
		memcpy(run->mmio.data, &ld[i].data, ld[i].len);
	}
	run = next_exit(&vm.vcpu[0], "mmio-sign");
	if (!is_vmt(run, VMT_DONE))
		result_fail("mmio-sign: expected done, got exit %s", exit_name(run->exit_reason));
	for (i = 0; i < ARRAY_SIZE(ld); i++) {
		got[i] = guest_u64(&vm, RES(R_MMIO_LB + i));
		note("mmio-sign: %s of 0x%llx gave 0x%016llx (expected 0x%016llx)", ld[i].insn,
		     (unsigned long long)ld[i].data, (unsigned long long)got[i],
		     (unsigned long long)ld[i].want);
		if (got[i] != ld[i].want && bad < 0)
			bad = i;
	}
	if (bad >= 0)
		result_fail("mmio-sign: %s of 0x%llx from MMIO gave 0x%llx: %s",
			    ld[bad].insn, (unsigned long long)ld[bad].data,
			    (unsigned long long)got[bad],
			    got[bad] == ld[bad].data ? "zero-extended, not sign-extended" : "wrong value");
	vm_close_fds(&vm);
	vm_free_mem(&vm);
	result_pass();
}

/*
 * fa9681ed5c6a: KVM_SET_ONE_REG of the SBI STA shared memory must refuse an
 * address that is not 64-byte aligned (the SBI call does); an aligned one
 * and "none" (all ones) are taken.
 */
int cmd_sta_align(int argc, char **argv)
{
	uint64_t unaligned = GUEST_BASE + 0x1000 - 8, aligned = GUEST_BASE + 0x1000;
	struct vcpu *v;
	struct vm vm;
	int e;

	(void)argc; (void)argv;
	vm_create(&vm, 1, false);
	v = &vm.vcpu[0];
	e = set_reg_errno(v, STA_REG(shmem_lo), aligned);
	if (e == ENOENT || e == EINVAL)
		result_fail("sta-align: the STA shmem register is not there (%s): no SBI STA in this kernel?",
			    strerror(e));
	if (e)
		result_fail("sta-align: setting an aligned shmem 0x%llx failed: %s",
			    (unsigned long long)aligned, strerror(e));
	e = set_reg_errno(v, STA_REG(shmem_lo), unaligned);
	note("sta-align: shmem_lo = 0x%llx (8 bytes before a page end): %s",
	     (unsigned long long)unaligned, e ? strerror(e) : "accepted");
	if (!e)
		result_fail("sta-align: KVM accepted the unaligned STA shmem 0x%llx (now 0x%llx)",
			    (unsigned long long)unaligned,
			    (unsigned long long)vcpu_get_reg(v, STA_REG(shmem_lo)));
	if (e != EINVAL)
		result_fail("sta-align: unaligned shmem refused with %s, expected EINVAL", strerror(e));
	if (vcpu_get_reg(v, STA_REG(shmem_lo)) != aligned)
		result_fail("sta-align: the refused write changed shmem to 0x%llx",
			    (unsigned long long)vcpu_get_reg(v, STA_REG(shmem_lo)));
	e = set_reg_errno(v, STA_REG(shmem_lo), ~0ULL);
	if (e)
		result_fail("sta-align: disabling (all ones) failed: %s", strerror(e));
	vm_close_fds(&vm);
	vm_free_mem(&vm);
	result_pass();
}

/*
 * 653f17c74260: an STA shmem the VMM points at a GPA without memslot; the
 * vCPU's next load records steal time there.  The guest must run on and
 * KVM drop the address; the host WARN of a module without the fix is read
 * from dmesg by the bed.
 */
int cmd_sta_hva(int argc, char **argv)
{
	struct kvm_run *run;
	struct vcpu *v;
	struct vm vm;
	uint64_t after;
	int e;

	(void)argc; (void)argv;
	vm_create(&vm, 1, false);
	v = &vm.vcpu[0];
	e = set_reg_errno(v, STA_REG(shmem_lo), GUEST_MMIO);
	if (e)
		result_fail("sta-hva: setting shmem 0x%x (no memslot) failed: %s", GUEST_MMIO, strerror(e));
	vcpu_enter(v, ENTRY_SMOKE, 1, GUEST_MMIO, 0, 0);
	run = next_exit(v, "sta-hva");
	if (!is_vmt(run, VMT_PING))
		result_fail("sta-hva: expected a ping, got exit %s", exit_name(run->exit_reason));
	run->riscv_sbi.ret[1] = 0 ^ PING_XOR;
	run = next_exit(v, "sta-hva");	/* MMIO store */
	run = next_exit(v, "sta-hva");	/* MMIO load */
	run = next_exit(v, "sta-hva");
	if (!is_vmt(run, VMT_DONE))
		result_fail("sta-hva: expected done, got exit %s", exit_name(run->exit_reason));
	after = vcpu_get_reg(v, STA_REG(shmem_lo));
	note("sta-hva: shmem 0x%x without memslot; after the run KVM has 0x%llx", GUEST_MMIO,
	     (unsigned long long)after);
	if (after != ~0ULL)
		result_fail("sta-hva: KVM kept the STA shmem 0x%llx that has no memslot",
			    (unsigned long long)after);
	vm_close_fds(&vm);
	vm_free_mem(&vm);
	result_pass();
}

/*
 * 6d4c17ed5620: restore a timer (compare far ahead, state on) through
 * ONE_REG, as after a migration; the guest must not see a timer interrupt.
 */
int cmd_timer_restore(int argc, char **argv)
{
	unsigned long spin = argc > 1 ? strtoul(argv[1], NULL, 0) : 200000;
	struct kvm_run *run;
	struct vcpu *v;
	struct vm vm;
	uint64_t now_t, cmp, sip;

	vm_create(&vm, 1, false);
	v = &vm.vcpu[0];
	now_t = vcpu_get_reg(v, TIMER_REG(time));
	cmp = now_t + vcpu_get_reg(v, TIMER_REG(frequency)) * 3600;
	vcpu_set_reg(v, TIMER_REG(compare), cmp);
	vcpu_set_reg(v, TIMER_REG(state), KVM_RISCV_TIMER_STATE_ON);
	note("timer-restore: time 0x%llx, compare 0x%llx (an hour ahead), state on",
	     (unsigned long long)now_t, (unsigned long long)cmp);
	vcpu_enter(v, ENTRY_TIMER, spin, 0, 0, 0);
	run = next_exit(v, "timer-restore");
	if (!is_vmt(run, VMT_DONE))
		result_fail("timer-restore: expected done, got exit %s", exit_name(run->exit_reason));
	sip = run->riscv_sbi.args[0];
	note("timer-restore: the guest's sip after %lu spins: 0x%llx; compare now 0x%llx", spin,
	     (unsigned long long)sip, (unsigned long long)vcpu_get_reg(v, TIMER_REG(compare)));
	if (sip & (1 << 5))
		result_fail("timer-restore: a timer interrupt is pending at once (sip 0x%llx) although the restored compare is an hour ahead",
			    (unsigned long long)sip);
	vm_close_fds(&vm);
	vm_free_mem(&vm);
	result_pass();
}

#define HUGE_SZ		0x200000UL
#define HUGE_GPA	0x90000000UL
#define HUGE_MARK	0x4855474548554745ULL	/* "EGUHEGUH" */

/*
 * 49476d58f217: a memslot of 1 MiB whose host side is the first half of a
 * 2 MiB hugetlb page.  A guest load just past the slot's end must exit as
 * MMIO; a module without the fix maps the whole huge page as one G-stage
 * block and the guest reads the host's other half.
 */
int cmd_hugetlb_slot(int argc, char **argv)
{
	struct kvm_userspace_memory_region region = {
		.slot = 2,
		.guest_phys_addr = HUGE_GPA,
		.memory_size = HUGE_SZ / 2,
	};
	uint64_t v, mmio_val = MMIO_LOAD_VAL;
	struct kvm_run *run;
	struct vm vm;
	uint64_t *p;
	size_t i;
	FILE *f;
	int n = 0;

	(void)argc; (void)argv;
	f = fopen("/proc/sys/vm/nr_hugepages", "r+");
	if (!f || fscanf(f, "%d", &n) != 1)
		result_fail("hugetlb-slot: cannot read /proc/sys/vm/nr_hugepages (CONFIG_HUGETLBFS?)");
	if (n < 1) {
		rewind(f);
		fprintf(f, "2\n");
	}
	fclose(f);
	p = mmap(NULL, HUGE_SZ, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	if (p == MAP_FAILED)
		result_fail("hugetlb-slot: mmap of a 2 MiB hugetlb page: %s (nr_hugepages was %d)",
			    strerror(errno), n);
	for (i = 0; i < HUGE_SZ / 8; i++)
		p[i] = HUGE_MARK;
	vm_create(&vm, 1, false);
	region.userspace_addr = (uintptr_t)p;
	if (ioctl(vm.fd, KVM_SET_USER_MEMORY_REGION, &region))
		result_fail("hugetlb-slot: KVM_SET_USER_MEMORY_REGION: %s", strerror(errno));
	note("hugetlb-slot: memslot 0x%lx-0x%lx on the first half of a 2 MiB hugetlb page",
	     HUGE_GPA, HUGE_GPA + HUGE_SZ / 2 - 1);
	/* smoke with no pings: a store at a1 (in the slot), a load at a1 + 8. */
	vcpu_enter(&vm.vcpu[0], ENTRY_SMOKE, 0, HUGE_GPA + HUGE_SZ / 2 - 8, 0, 0);
	run = next_exit(&vm.vcpu[0], "hugetlb-slot");
	if (run->exit_reason == KVM_EXIT_MMIO) {
		if (run->mmio.is_write || run->mmio.phys_addr != HUGE_GPA + HUGE_SZ / 2)
			result_fail("hugetlb-slot: unexpected MMIO %s at 0x%llx",
				    run->mmio.is_write ? "store" : "load",
				    (unsigned long long)run->mmio.phys_addr);
		note("hugetlb-slot: the load at 0x%llx past the slot exited as MMIO",
		     (unsigned long long)run->mmio.phys_addr);
		memcpy(run->mmio.data, &mmio_val, 8);
		run = next_exit(&vm.vcpu[0], "hugetlb-slot");
	}
	if (!is_vmt(run, VMT_DONE))
		result_fail("hugetlb-slot: expected done, got exit %s", exit_name(run->exit_reason));
	v = run->riscv_sbi.args[0];
	note("hugetlb-slot: the guest read 0x%llx at 0x%lx", (unsigned long long)v, HUGE_GPA + HUGE_SZ / 2);
	if (v == HUGE_MARK)
		result_fail("hugetlb-slot: the guest read host memory past its memslot (0x%llx, the second half of the huge page): a G-stage block beyond the slot",
			    (unsigned long long)v);
	if (v != mmio_val)
		result_fail("hugetlb-slot: the guest read 0x%llx, expected the VMM's MMIO answer",
			    (unsigned long long)v);
	vm_close_fds(&vm);
	vm_free_mem(&vm);
	munmap(p, HUGE_SZ);
	result_pass();
}

/*
 * 41e81f7e3ef9: SBI HSM HART_GET_STATUS of a hart id with no vCPU must
 * fail with SBI_ERR_INVALID_PARAM.
 */
int cmd_hsm_status(int argc, char **argv)
{
	struct kvm_run *run;
	struct vm vm;
	long err;

	(void)argc; (void)argv;
	vm_create(&vm, 1, false);
	vcpu_enter(&vm.vcpu[0], ENTRY_HSMSTATUS, 5, 0, 0, 0);
	run = next_exit(&vm.vcpu[0], "hsm-status");
	if (!is_vmt(run, VMT_DONE))
		result_fail("hsm-status: expected done, got exit %s", exit_name(run->exit_reason));
	err = (long)run->riscv_sbi.args[0];
	note("hsm-status: HART_GET_STATUS of hart 5 (no vCPU): error %ld, value 0x%lx", err,
	     (unsigned long)run->riscv_sbi.args[1]);
	if (err == 0)
		result_fail("hsm-status: HART_GET_STATUS of hart 5, which has no vCPU, returned success (value 0x%lx)",
			    (unsigned long)run->riscv_sbi.args[1]);
	if (err != SBI_ERR_INVALID_PARAM)
		result_fail("hsm-status: error %ld, expected SBI_ERR_INVALID_PARAM", err);
	vm_close_fds(&vm);
	vm_free_mem(&vm);
	result_pass();
}

/*
 * 6.12-stable "Fix IPI delivery for out-of-order vcpu_id": SBI send_ipi
 * walks the vCPUs in creation order, not by hart id.  Created as harts
 * 100, 0, 1, hart 100 (the only one KVM starts) sends to hart 1 (mask 0x2,
 * base 0): itself first in the walk and outside the mask's window, it
 * must not end the walk.
 */
#define CSR_SIP		(KVM_REG_RISCV | KVM_REG_SIZE_U64 | KVM_REG_RISCV_CSR | \
			 KVM_REG_RISCV_CSR_GENERAL | KVM_REG_RISCV_CSR_REG(sip))
#define SIP_SSIP	(1ULL << 1)

int cmd_ipi_order(int argc, char **argv)
{
	static const int ids[] = { 100, 0, 1 };
	uint64_t sip[3];
	struct kvm_run *run;
	struct vm vm;
	unsigned int i;
	long err;

	(void)argc; (void)argv;
	vm_create(&vm, 0, true);
	for (i = 0; i < ARRAY_SIZE(ids); i++)
		vm_add_vcpu_id(&vm, ids[i]);
	note("ipi-order: vCPUs created as harts %d, %d, %d", ids[0], ids[1], ids[2]);
	vcpu_enter(&vm.vcpu[0], ENTRY_IPI, 0x2, 0, 0, 0);
	run = next_exit(&vm.vcpu[0], "ipi-order");
	if (!is_vmt(run, VMT_DONE))
		result_fail("ipi-order: expected done, got exit %s", exit_name(run->exit_reason));
	err = (long)run->riscv_sbi.args[0];
	for (i = 0; i < ARRAY_SIZE(ids); i++)
		sip[i] = vcpu_get_reg(&vm.vcpu[i], CSR_SIP);
	note("ipi-order: send_ipi(mask 0x2, base 0) from hart 100: error %ld; sip of harts 100, 0, 1: 0x%llx 0x%llx 0x%llx",
	     err, (unsigned long long)sip[0], (unsigned long long)sip[1],
	     (unsigned long long)sip[2]);
	if (!(sip[2] & SIP_SSIP))
		result_fail("ipi-order: the IPI to hart 1 was not delivered (error %ld): hart 100, created first, ended the walk",
			    err);
	if (err)
		result_fail("ipi-order: hart 1 got the IPI, but send_ipi returned error %ld", err);
	if ((sip[0] | sip[1]) & SIP_SSIP)
		result_fail("ipi-order: an IPI reached a hart outside the mask");
	vm_close_fds(&vm);
	vm_free_mem(&vm);
	result_pass();
}

#define ISA_REG(ext)	(KVM_REG_RISCV | KVM_REG_SIZE_U64 | KVM_REG_RISCV_ISA_EXT | \
			 KVM_REG_RISCV_ISA_SINGLE | KVM_RISCV_ISA_EXT_##ext)
#define AIA_REG(name)	(KVM_REG_RISCV | KVM_REG_SIZE_U64 | KVM_REG_RISCV_CSR | \
			 KVM_REG_RISCV_CSR_AIA | KVM_REG_RISCV_CSR_AIA_REG(name))
#define SSTATEEN_REG(name) (KVM_REG_RISCV | KVM_REG_SIZE_U64 | KVM_REG_RISCV_CSR | \
			 KVM_REG_RISCV_CSR_SMSTATEEN | KVM_REG_RISCV_CSR_SMSTATEEN_REG(name))
#define CONFIG_REG(name) (KVM_REG_RISCV | KVM_REG_SIZE_U64 | KVM_REG_RISCV_CONFIG | \
			 KVM_REG_RISCV_CONFIG_REG(name))

static int get_reg_errno(struct vcpu *v, uint64_t id, uint64_t *val)
{
	struct kvm_one_reg reg = { .id = id, .addr = (uintptr_t)val };

	return ioctl(v->fd, KVM_GET_ONE_REG, &reg) ? errno : 0;
}

/* Is register ID in the vCPU's KVM_GET_REG_LIST? */
static bool reg_listed(struct vcpu *v, uint64_t id)
{
	struct kvm_reg_list probe = { .n = 0 }, *list;
	bool found = false;
	uint64_t i;

	if (!ioctl(v->fd, KVM_GET_REG_LIST, &probe) || errno != E2BIG)
		result_fail("onereg: KVM_GET_REG_LIST did not report its size: %s", strerror(errno));
	list = calloc(1, sizeof(*list) + probe.n * sizeof(list->reg[0]));
	if (!list)
		result_fail("onereg: out of memory");
	list->n = probe.n;
	if (ioctl(v->fd, KVM_GET_REG_LIST, list))
		result_fail("onereg: KVM_GET_REG_LIST: %s", strerror(errno));
	for (i = 0; i < list->n; i++)
		found |= list->reg[i] == id;
	free(list);
	return found;
}

/* Disable extension REG for the vCPU; false if the host lacks it. */
static bool isa_disable(struct vcpu *v, uint64_t reg, const char *name)
{
	uint64_t on;
	int e;

	e = get_reg_errno(v, reg, &on);
	if (e == ENOENT)
		return false;
	if (e)
		result_fail("onereg: reading ISA_EXT %s: %s", name, strerror(e));
	e = set_reg_errno(v, reg, 0);
	if (e)
		result_fail("onereg: disabling %s for the vCPU: %s", name, strerror(e));
	return true;
}

/*
 * ONE_REG of registers a vCPU configuration leaves out.  Each finding is
 * one clause of the result, so that a module lacking several fixes shows
 * each one's symptom.
 *   24433b2b5c74: the AIA CSRs of a vCPU without Ssaia: -ENOENT.
 *   45700a743af3: the Smstateen CSRs of a vCPU (or host) without
 *                 Smstateen: -ENOENT.
 *   298276da73ca: config.zicbom/zicboz_block_size listed and readable
 *                 on a vCPU without Zicbom/Zicboz; writable with 0.
 */
int cmd_onereg(int argc, char **argv)
{
	static const struct { const char *ext, *reg; uint64_t isa, id; } cbo[] = {
		{ "Zicbom", "zicbom_block_size", ISA_REG(ZICBOM), CONFIG_REG(zicbom_block_size) },
		{ "Zicboz", "zicboz_block_size", ISA_REG(ZICBOZ), CONFIG_REG(zicboz_block_size) },
	};
	char bad[1024] = "";
	struct vcpu *v;
	struct vm vm;
	uint64_t val;
	unsigned int i;
	bool listed;
	int e;

#define FINDING(...) snprintf(bad + strlen(bad), sizeof(bad) - strlen(bad), \
			      "%s" __VA_ARGS__)
	(void)argc; (void)argv;
	vm_create(&vm, 1, false);
	v = &vm.vcpu[0];

	if (isa_disable(v, ISA_REG(SSAIA), "Ssaia")) {
		val = 0x5a5a;
		e = get_reg_errno(v, AIA_REG(siselect), &val);
		note("onereg: AIA siselect of a vCPU without Ssaia: %s", e ? strerror(e) : "read");
		if (!e)
			FINDING("the AIA CSR siselect of a vCPU without Ssaia was readable (0x%llx)",
				*bad ? "; " : "", (unsigned long long)val);
		else if (e != ENOENT)
			FINDING("the AIA CSR siselect of a vCPU without Ssaia answered %s, not ENOENT",
				*bad ? "; " : "", strerror(e));
	} else {
		note("onereg: the host has no Ssaia: AIA CSRs not checked");
	}

	if (!isa_disable(v, ISA_REG(SMSTATEEN), "Smstateen"))
		note("onereg: the host has no Smstateen");
	e = get_reg_errno(v, SSTATEEN_REG(sstateen0), &val);
	note("onereg: sstateen0 of a vCPU without Smstateen: %s", e ? strerror(e) : "read");
	if (!e)
		FINDING("the Smstateen CSR sstateen0 of a vCPU without Smstateen was readable",
			*bad ? "; " : "");
	else if (e != ENOENT)
		FINDING("the Smstateen CSR sstateen0 of a vCPU without Smstateen answered %s, not ENOENT",
			*bad ? "; " : "", strerror(e));

	for (i = 0; i < ARRAY_SIZE(cbo); i++) {
		if (!isa_disable(v, cbo[i].isa, cbo[i].ext)) {
			note("onereg: the host has no %s: %s not checked", cbo[i].ext, cbo[i].reg);
			continue;
		}
		listed = reg_listed(v, cbo[i].id);
		e = get_reg_errno(v, cbo[i].id, &val);
		if (e)
			note("onereg: %s of a vCPU without %s: %s, unreadable (%s)", cbo[i].reg,
			     cbo[i].ext, listed ? "listed" : "not listed", strerror(e));
		else
			note("onereg: %s of a vCPU without %s: %s, reads %llu", cbo[i].reg,
			     cbo[i].ext, listed ? "listed" : "not listed", (unsigned long long)val);
		if (!listed || e) {
			FINDING("config %s of a vCPU without %s is %s%s%s%s", *bad ? "; " : "",
				cbo[i].reg, cbo[i].ext, listed ? "" : "missing from KVM_GET_REG_LIST",
				!listed && e ? " and " : "", e ? "unreadable: " : "",
				e ? strerror(e) : "");
			continue;
		}
		if (!val)
			FINDING("config %s reads 0 although the host has %s", *bad ? "; " : "",
				cbo[i].reg, cbo[i].ext);
		e = set_reg_errno(v, cbo[i].id, val);
		if (!e)
			e = set_reg_errno(v, cbo[i].id, 0);
		if (e)
			FINDING("config %s cannot be written back (its value or 0): %s",
				*bad ? "; " : "", cbo[i].reg, strerror(e));
	}
#undef FINDING
	vm_close_fds(&vm);
	vm_free_mem(&vm);
	if (*bad)
		result_fail("onereg: %s", bad);
	result_pass();
}

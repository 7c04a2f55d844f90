// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz N [SEED]: the guest makes N SBI calls with random extension,
 * function and arguments (guest.S, fuzz_entry; the same seed, the same
 * calls).  KVM must answer each with an SBI error code or a result, and
 * hand to the VMM only the extensions it forwards by design: vendor and
 * experimental ranges, the legacy console, DBCN.  The VMM answers those
 * with SBI_ERR_NOT_SUPPORTED.  Any other exit, a KVM_RUN error or a trap
 * in the guest fails the run.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kvmtest.h"

static bool forwarded_by_design(unsigned long ext)
{
	return (ext >= 0x08000000 && ext <= 0x09ffffff) || ext == 0x01 || ext == 0x02 ||
	       ext == SBI_EXT_DBCN;
}

int cmd_fuzz(int argc, char **argv)
{
	unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 0) : 0;
	unsigned long seed = argc > 2 ? strtoul(argv[2], NULL, 0) : 1;
	unsigned long fwd = 0, calls, bad, traps, i;
	struct kvm_run *run;
	struct vcpu *v;
	char hist[256];
	struct vm vm;
	size_t len = 0;
	int r;

	if (!n)
		result_fail("usage: fuzz N [SEED]");
	alarm((unsigned int)(n / 200) + 120);
	vm_create(&vm, 1, true);
	v = &vm.vcpu[0];
	vcpu_enter(v, ENTRY_FUZZ, seed, n, 0, 0);
	run = v->run;
	for (;;) {
		r = vcpu_run(v);
		if (r == -EINTR)
			continue;
		if (r)
			result_fail("fuzz: KVM_RUN failed: %s (errno %d) after %lu forwarded calls",
				    strerror(-r), -r, fwd);
		if (run->exit_reason != KVM_EXIT_RISCV_SBI)
			result_fail("fuzz: unexpected exit %u (%s), pc 0x%llx", run->exit_reason,
				    exit_name(run->exit_reason),
				    (unsigned long long)vcpu_get_reg(v, CORE_REG(pc)));
		if (run->riscv_sbi.extension_id == VMT_EXT) {
			check_guest_fail(v, "fuzz");
			if (run->riscv_sbi.function_id == VMT_DONE)
				break;
			result_fail("fuzz: unexpected VMT call %lu", run->riscv_sbi.function_id);
		}
		if (!forwarded_by_design(run->riscv_sbi.extension_id))
			result_fail("fuzz: SBI ext 0x%lx fid %lu reached the VMM (KVM forwards only vendor, experimental, legacy console and DBCN calls)",
				    run->riscv_sbi.extension_id, run->riscv_sbi.function_id);
		fwd++;
		run->riscv_sbi.ret[0] = (unsigned long)SBI_ERR_NOT_SUPPORTED;
		run->riscv_sbi.ret[1] = 0;
	}
	calls = run->riscv_sbi.args[0];
	bad = guest_u64(&vm, RES(R_FUZZ_BAD));
	traps = guest_u64(&vm, RES(R_FUZZ_TRAPS));
	for (i = 0; i < 14; i++) {
		unsigned long c = guest_u64(&vm, FUZZ_HIST + 8 * i);

		if (c)
			len += snprintf(hist + len, sizeof(hist) - len, " %s%lu:%lu", i ? "-" : "", i, c);
	}
	note("fuzz: seed=%lu calls=%lu forwarded=%lu hash=0x%016llx errors{%s }", seed, calls, fwd,
	     (unsigned long long)guest_u64(&vm, RES(R_FUZZ_HASH)), hist);
	if (calls != n)
		result_fail("fuzz: the guest made %lu calls, %lu expected", calls, n);
	if (bad)
		result_fail("fuzz: %lu calls returned no SBI error code; the last: ext 0x%llx fid %llu error %lld",
			    bad, (unsigned long long)guest_u64(&vm, RES(R_FUZZ_BAD_EXT)),
			    (unsigned long long)guest_u64(&vm, RES(R_FUZZ_BAD_FID)),
			    (long long)guest_u64(&vm, RES(R_FUZZ_BAD_ERR)));
	if (traps)
		result_fail("fuzz: %lu traps reached the guest; the last: scause %llu at 0x%llx", traps,
			    (unsigned long long)guest_u64(&vm, RES(R_FUZZ_TRAP_CAUSE)),
			    (unsigned long long)guest_u64(&vm, RES(R_FUZZ_TRAP_PC)));
	vm_close_fds(&vm);
	vm_free_mem(&vm);
	result_pass();
}

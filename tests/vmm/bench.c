// SPDX-License-Identifier: GPL-2.0
/*
 * bench KIND N: N guest exits of one kind, timed by the guest's clock.
 *   ping     SBI call to the VMM and back (KVM_EXIT_RISCV_SBI)
 *   probe    SBI base probe_extension, answered inside KVM
 *   illegal  illegal instruction, redirected to the guest by KVM
 * Prints "bench: kind=K n=N ticks=T timebase=F per_s=R".
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvmtest.h"

/* The guest's time CSR counts at the host's timebase (device tree). */
static unsigned long timebase(void)
{
	FILE *f = fopen("/proc/device-tree/cpus/timebase-frequency", "r");
	uint32_t be = 0;

	if (!f)
		result_fail("bench: cannot read the timebase: /proc/device-tree/cpus/timebase-frequency");
	if (fread(&be, sizeof(be), 1, f) != 1)
		result_fail("bench: short read of the timebase");
	fclose(f);
	return ntohl(be);
}

int cmd_bench(int argc, char **argv)
{
	static const char *const kinds[] = { "ping", "probe", "illegal" };
	unsigned long n = argc > 2 ? strtoul(argv[2], NULL, 0) : 0;
	unsigned long i, pings = 0, tb = timebase();
	struct kvm_run *run;
	unsigned int kind;
	uint64_t ticks;
	struct vm vm;

	for (kind = 0; kind < ARRAY_SIZE(kinds); kind++)
		if (argc > 1 && !strcmp(argv[1], kinds[kind]))
			break;
	if (kind == ARRAY_SIZE(kinds) || !n)
		result_fail("usage: bench ping|probe|illegal N");

	vm_create(&vm, 1, true);
	vcpu_enter(&vm.vcpu[0], ENTRY_BENCH, kind, n, 0, 0);
	for (;;) {
		run = next_exit(&vm.vcpu[0], "bench");
		if (is_vmt(run, VMT_PING)) {
			pings++;
			continue;
		}
		if (is_vmt(run, VMT_DONE))
			break;
		result_fail("bench: unexpected exit %s", exit_name(run->exit_reason));
	}
	ticks = run->riscv_sbi.args[0];
	if (kind == BENCH_PING && pings != n)
		result_fail("bench: %lu pings reached the VMM, %lu expected", pings, n);
	if (kind == BENCH_ILLEGAL) {
		i = guest_u64(&vm, TRAP_COUNTS + 8 * 2);
		if (i != n)
			result_fail("bench: the guest's handler saw %lu illegal instructions, %lu expected", i, n);
	}
	if (!ticks)
		result_fail("bench: the guest's clock did not move");
	note("bench: kind=%s n=%lu ticks=%llu timebase=%lu per_s=%.0f", kinds[kind], n,
	     (unsigned long long)ticks, tb, (double)n * tb / ticks);
	vm_close_fds(&vm);
	vm_free_mem(&vm);
	result_pass();
}

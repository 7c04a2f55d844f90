// SPDX-License-Identifier: GPL-2.0
/*
 * SBI PMU scenarios (SBI spec v2.0, chapter "Performance Monitoring Unit
 * Extension"):
 *  perf-fail: counter_config_matching for events the host perf cannot
 *             create must fail in the guest with SBI_ERR_NOT_SUPPORTED,
 *             handled inside KVM (no exit, no KVM_RUN error);
 *  snapshot:  KVM may write the snapshot page only while it is set
 *             (FID #7), not when it is disabled nor at VM teardown.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kvmtest.h"

#define NR_REP	32

struct reports {
	bool seen[NR_REP];
	long err[NR_REP];
	unsigned long val[NR_REP];
};

static const char *const rep_name[NR_REP] = {
	[REP_PMU_PROBE]		= "probe_extension(PMU)",
	[REP_NUM_CTRS]		= "num_counters",
	[REP_CFG_CACHE]		= "cfg_match(cache event 0x1fff8, no such cache)",
	[REP_CFG_HW]		= "cfg_match(hw event 0xff, no such event)",
	[REP_CFG_RAW]		= "cfg_match(raw event, data 0xdeadbeef)",
	[REP_CFG_FW]		= "cfg_match(fw SET_TIMER)",
	[REP_STOP_FW]		= "stop+reset(fw counter)",
	[REP_SET_SHMEM]		= "snapshot_set_shmem(page 1)",
	[REP_START]		= "start(init 0)",
	[REP_STOP_SNAP]		= "stop(TAKE_SNAPSHOT)",
	[REP_DISABLE]		= "snapshot_set_shmem(-1, -1) (disable)",
	[REP_START2]		= "start, no snapshot",
	[REP_STOP_SNAP_NOSHMEM]	= "stop(TAKE_SNAPSHOT), disabled",
	[REP_STOP2]		= "stop",
	[REP_START_SNAP_NOSHMEM] = "start(INIT_SNAPSHOT), disabled",
	[REP_SET_SHMEM2]	= "snapshot_set_shmem(page 2)",
	[REP_START3]		= "start(init 0), armed",
	[REP_RAW_RELEASE]	= "stop+reset(raw counter)",
	[REP_MASK_START]	= "start(base ULONG_MAX, mask 3)",
	[REP_MASK_STOP]		= "stop(base ULONG_MAX, mask 3)",
	[REP_MASK_CFG]		= "cfg_match(base ULONG_MAX, mask 3)",
	[REP_REINST_EDGE]	= "snapshot_set_shmem(past the end of RAM)",
	[REP_REINST_STOP]	= "stop(TAKE_SNAPSHOT) after it",
	[REP_OOB_INFO]		= "get_info(counter 64)",
	[REP_OOB_FWIDX]		= "first firmware counter (value: its index)",
	[REP_OOB_FWREAD]	= "fw_read(it, never configured)",
};

static void record(struct reports *r, struct kvm_run *run, const char *what)
{
	unsigned long key = run->riscv_sbi.args[0];

	if (key >= NR_REP || !rep_name[key])
		result_fail("%s: guest sent unknown report %lu", what, key);
	r->seen[key] = true;
	r->err[key] = (long)run->riscv_sbi.args[1];
	r->val[key] = run->riscv_sbi.args[2];
	note("%s: %-46s error %ld, value 0x%lx", what, rep_name[key], r->err[key],
	     r->val[key]);
}

static void expect(struct reports *r, int key, long err, const char *what,
		   const char *why)
{
	if (!r->seen[key])
		result_fail("%s: guest never reported %s", what, rep_name[key]);
	if (r->err[key] != err)
		result_fail("%s: %s returned %ld, expected %ld (%s)", what,
			    rep_name[key], r->err[key], err, why);
}

static void expect_pmu(struct reports *r, const char *what)
{
	if (!r->seen[REP_PMU_PROBE] || !r->val[REP_PMU_PROBE])
		result_fail("%s: the SBI PMU extension is not available to the guest (host lacks Sscofpmf or SBI PMU?)",
			    what);
	expect(r, REP_NUM_CTRS, 0, what, "num_counters cannot fail");
}

/* Log every counter's info, as the guest read it. */
/*
 * The counters' get_info, printed; returns how many are programmable
 * hardware counters (index 3 and up: 0-2 are cycle, time, instret).
 */
static unsigned long print_ctr_info(struct vm *vm, unsigned long nr)
{
	unsigned long i, hw = 0, fw = 0, prog = 0;

	for (i = 0; i < nr && i < 64; i++) {
		uint64_t info = guest_u64(vm, PMU_INFO + 8 * i);
		long err = (long)guest_u64(vm, PMU_INFO + 0x200 + 8 * i);

		if (err) {
			note("perf-fail: counter %2lu: get_info error %ld", i, err);
			continue;
		}
		if (info >> 63) {
			fw++;
			continue;
		}
		hw++;
		if (i >= 3)
			prog++;
		note("perf-fail: counter %2lu: hw, csr 0x%03llx, width %llu", i,
		     (unsigned long long)(info & 0xfff),
		     (unsigned long long)((info >> 12) & 0x3f) + 1);
	}
	note("perf-fail: %lu hardware (%lu programmable) and %lu firmware counters", hw, prog, fw);
	return prog;
}

int cmd_perf_fail(int argc, char **argv)
{
	struct reports r = {};
	struct kvm_run *run;
	struct vcpu *v;
	struct vm vm;
	int exits = 0;

	(void)argc;
	(void)argv;
	vm_create(&vm, 1, false);
	v = &vm.vcpu[0];
	vcpu_enter(v, ENTRY_PERF, 0, 0, 0, 0);
	for (;;) {
		/* Any other exit, PMU calls included, fails in next_exit(). */
		run = next_exit(v, "perf-fail");
		exits++;
		if (is_vmt(run, VMT_DONE))
			break;
		if (!is_vmt(run, VMT_REPORT))
			result_fail("perf-fail: unexpected exit %s",
				    exit_name(run->exit_reason));
		record(&r, run, "perf-fail");
	}
	note("perf-fail: %d exits to userspace, all the guest's own vendor calls; no KVM_RUN error",
	     exits);

	expect_pmu(&r, "perf-fail");
	/*
	 * KVM answers NOT_SUPPORTED also when no free counter in the mask
	 * fits the event, before perf is asked.  A fresh vCPU with a
	 * programmable hardware counter in the mask (the mask is all of them)
	 * leaves perf's refusal as the only way to that answer.
	 */
	if (!print_ctr_info(&vm, r.val[REP_NUM_CTRS]))
		result_fail("perf-fail: the guest sees no programmable hardware counter: cfg_match would refuse before reaching perf, so this host cannot show the fix");
	note("perf-fail: a free programmable hardware counter was in the mask: the cfg_match calls reached perf");
	expect(&r, REP_CFG_CACHE, SBI_ERR_NOT_SUPPORTED, "perf-fail",
	       "perf cannot create it");
	expect(&r, REP_CFG_HW, SBI_ERR_NOT_SUPPORTED, "perf-fail",
	       "perf cannot create it");
	if (!r.err[REP_CFG_RAW] && r.seen[REP_RAW_RELEASE] &&
	    r.err[REP_RAW_RELEASE] && r.err[REP_RAW_RELEASE] != -8)
		result_fail("perf-fail: releasing the raw event's counter returned %ld",
			    r.err[REP_RAW_RELEASE]);
	note("perf-fail: raw event: %s (host dependent, not asserted)",
	     r.err[REP_CFG_RAW] ? "refused" : "accepted, counter released");
	expect(&r, REP_CFG_FW, 0, "perf-fail", "the PMU must still work");
	expect(&r, REP_STOP_FW, 0, "perf-fail", "the PMU must still work");
	note("perf-fail: the guest continued and used a firmware counter afterwards");

	vm_close_fds(&vm);
	vm_free_mem(&vm);
	result_pass();
}

#define SNAP_FILL1	0xa5
#define SNAP_FILL2	0x5a

/* Offset of the first byte that is not @c, or -1. */
static long changed(const uint8_t *p, uint8_t c)
{
	long i;

	for (i = 0; i < 4096; i++)
		if (p[i] != c)
			return i;
	return -1;
}

static void check_page(uint8_t *page, uint8_t c, const char *when)
{
	long off = changed(page, c);

	if (off >= 0)
		result_fail("snapshot: KVM wrote the snapshot page %s: byte %ld is 0x%02x, VMM left 0x%02x",
			    when, off, page[off], c);
	note("snapshot: page still holds the VMM's pattern %s", when);
}

int cmd_snapshot(int argc, char **argv)
{
	bool allow_absent = false, no_close = false;
	uint8_t *page1, *page2;
	struct reports r = {};
	struct kvm_run *run;
	struct vcpu *v;
	struct vm vm;
	uint64_t *snap;
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--allow-absent"))
			allow_absent = true;
		else if (!strcmp(argv[i], "--no-close"))
			no_close = true;
		else
			result_fail("snapshot: usage: snapshot [--allow-absent] [--no-close]");
	}

	vm_create(&vm, 1, false);
	v = &vm.vcpu[0];
	page1 = gpa_ptr(&vm, SNAP_PAGE1, 4096);
	page2 = gpa_ptr(&vm, SNAP_PAGE2, 4096);
	vcpu_enter(v, ENTRY_SNAPSHOT, 0, 0, 0, 0);
	for (;;) {
		run = next_exit(v, "snapshot");
		if (is_vmt(run, VMT_DONE))
			break;
		if (is_vmt(run, VMT_REPORT)) {
			record(&r, run, "snapshot");
			continue;
		}
		if (!is_vmt(run, VMT_SYNC))
			result_fail("snapshot: unexpected exit %s",
				    exit_name(run->exit_reason));
		switch (run->riscv_sbi.args[0]) {
		case SYNC_SNAP_TAKEN:
			snap = (uint64_t *)page1;
			note("snapshot: page 1 after stop(TAKE_SNAPSHOT): overflow bitmap 0x%llx, counter_values[0] %llu",
			     (unsigned long long)snap[0], (unsigned long long)snap[1]);
			if (snap[1] != guest_u64(&vm, RES(R_SNAP_TIMER_CALLS)))
				result_fail("snapshot: counter_values[0] is %llu, the guest made %llu set_timer calls",
					    (unsigned long long)snap[1],
					    (unsigned long long)guest_u64(&vm, RES(R_SNAP_TIMER_CALLS)));
			break;
		case SYNC_SNAP_FILL:
			memset(page1, SNAP_FILL1, 4096);
			note("snapshot: VMM filled page 1 with 0x%02x before the guest disables the snapshot",
			     SNAP_FILL1);
			break;
		case SYNC_SNAP_DISABLED:
			check_page(page1, SNAP_FILL1, "after the disable");
			break;
		case SYNC_SNAP_AFTER_OPS:
			check_page(page1, SNAP_FILL1, "after counter start/stop while disabled");
			break;
		case SYNC_SNAP_FILL2:
			memset(page2, SNAP_FILL2, 4096);
			note("snapshot: VMM filled page 2 (armed) with 0x%02x", SNAP_FILL2);
			break;
		default:
			result_fail("snapshot: unknown sync point %lu",
				    run->riscv_sbi.args[0]);
		}
	}

	expect_pmu(&r, "snapshot");
	if (r.seen[REP_SET_SHMEM] && r.err[REP_SET_SHMEM] == SBI_ERR_NOT_SUPPORTED) {
		note("snapshot: this kvm.ko does not implement SBI PMU snapshot (set_shmem: SBI_ERR_NOT_SUPPORTED)");
		if (!allow_absent)
			result_fail("snapshot: SBI PMU snapshot not implemented");
		vm_close_fds(&vm);
		vm_free_mem(&vm);
		result_pass();
	}
	expect(&r, REP_SET_SHMEM, 0, "snapshot", "a writable page in the memslot");
	expect(&r, REP_CFG_FW, 0, "snapshot", "firmware counters are always there");
	expect(&r, REP_START, 0, "snapshot", "a configured counter");
	expect(&r, REP_STOP_SNAP, 0, "snapshot", "a started counter, shmem set");
	expect(&r, REP_DISABLE, 0, "snapshot", "disable always succeeds");
	expect(&r, REP_START2, 0, "snapshot", "a stopped counter");
	expect(&r, REP_STOP_SNAP_NOSHMEM, SBI_ERR_NO_SHMEM, "snapshot",
	       "TAKE_SNAPSHOT without shmem");
	expect(&r, REP_STOP2, 0, "snapshot", "a started counter");
	expect(&r, REP_START_SNAP_NOSHMEM, SBI_ERR_NO_SHMEM, "snapshot",
	       "INIT_SNAPSHOT without shmem");
	expect(&r, REP_SET_SHMEM2, 0, "snapshot", "re-arming");
	expect(&r, REP_START3, 0, "snapshot", "a stopped counter");

	if (no_close) {
		/* Leave the teardown to process exit (mm already gone then). */
		note("snapshot: exiting with the VM alive and its snapshot armed");
		result_pass();
	}
	vm_close_fds(&vm);
	note("snapshot: VM destroyed with the snapshot armed and a counter running");
	check_page(page2, SNAP_FILL2, "after the VM was destroyed");
	vm_free_mem(&vm);
	result_pass();
}

/*
 * A one-vCPU VM runs a payload that only reports (VMT_REPORT) until it is
 * done; the SBI PMU must be there.
 */
static void run_reporting(struct vm *vm, int entry, struct reports *r, const char *what)
{
	struct kvm_run *run;

	vm_create(vm, 1, false);
	vcpu_enter(&vm->vcpu[0], entry, 0, 0, 0, 0);
	for (;;) {
		run = next_exit(&vm->vcpu[0], what);
		if (is_vmt(run, VMT_DONE))
			break;
		if (!is_vmt(run, VMT_REPORT))
			result_fail("%s: unexpected exit %s", what, exit_name(run->exit_reason));
		record(r, run, what);
	}
	if (!r->seen[REP_PMU_PROBE] || !r->val[REP_PMU_PROBE])
		result_fail("%s: the SBI PMU extension is not available to the guest", what);
}

/*
 * snapshot-edge: set_shmem on an area running past the end of guest RAM
 * must fail, and the disable after it must succeed; what KVM does with
 * its shadow copy in between is for KASAN (the debug bed) to judge.
 */
int cmd_snapshot_edge(int argc, char **argv)
{
	struct reports r = {};
	struct vm vm;

	(void)argv;
	if (argc > 1)
		result_fail("snapshot-edge: no arguments");
	run_reporting(&vm, ENTRY_SNAPEDGE, &r, "snapshot-edge");
	if (!r.seen[REP_SET_SHMEM] || r.err[REP_SET_SHMEM] == 0)
		result_fail("snapshot-edge: set_shmem(0x%llx) past the end of RAM succeeded",
			    (unsigned long long)SNAP_EDGE);
	note("snapshot-edge: set_shmem(0x%llx), an area past the end of RAM: SBI error %ld",
	     (unsigned long long)SNAP_EDGE, r.err[REP_SET_SHMEM]);
	expect(&r, REP_DISABLE, 0, "snapshot-edge", "disable always succeeds");
	vm_close_fds(&vm);
	vm_free_mem(&vm);
	result_pass();
}

/*
 * pmu-mask: a counter base and mask whose sum wraps around must be
 * refused (SBI_ERR_INVALID_PARAM) by start, stop and configure alike.
 */
int cmd_pmu_mask(int argc, char **argv)
{
	struct reports r = {};
	struct vm vm;

	(void)argv;
	if (argc > 1)
		result_fail("pmu-mask: no arguments");
	run_reporting(&vm, ENTRY_PMUMASK, &r, "pmu-mask");
	expect(&r, REP_MASK_START, SBI_ERR_INVALID_PARAM, "pmu-mask", "base + mask wraps around");
	expect(&r, REP_MASK_STOP, SBI_ERR_INVALID_PARAM, "pmu-mask", "base + mask wraps around");
	expect(&r, REP_MASK_CFG, SBI_ERR_INVALID_PARAM, "pmu-mask", "base + mask wraps around");
	vm_close_fds(&vm);
	vm_free_mem(&vm);
	result_pass();
}

/*
 * snapshot-reinstall: a failed re-install of the snapshot area must leave
 * none (SBI_ERR_NO_SHMEM to a stop that takes a snapshot), not the old
 * address with a freed or NULL copy.
 */
int cmd_snapshot_reinstall(int argc, char **argv)
{
	struct reports r = {};
	struct vm vm;

	(void)argv;
	if (argc > 1)
		result_fail("snapshot-reinstall: no arguments");
	run_reporting(&vm, ENTRY_REINSTALL, &r, "snapshot-reinstall");
	expect_pmu(&r, "snapshot-reinstall");
	expect(&r, REP_CFG_FW, 0, "snapshot-reinstall", "a firmware counter is always free");
	expect(&r, REP_SET_SHMEM, 0, "snapshot-reinstall", "page 1 is guest RAM");
	expect(&r, REP_SET_SHMEM2, 0, "snapshot-reinstall", "page 2 is guest RAM");
	if (!r.seen[REP_REINST_EDGE] || r.err[REP_REINST_EDGE] == 0)
		result_fail("snapshot-reinstall: set_shmem(0x%llx) past the end of RAM succeeded",
			    (unsigned long long)SNAP_EDGE);
	if (r.seen[REP_REINST_STOP] && r.err[REP_REINST_STOP] == 0)
		result_fail("snapshot-reinstall: KVM kept the stale snapshot area: stop(TAKE_SNAPSHOT) after the failed re-install returned 0 (it wrote the freed copy to 0x%llx)",
			    (unsigned long long)SNAP_PAGE2);
	expect(&r, REP_REINST_STOP, SBI_ERR_NO_SHMEM, "snapshot-reinstall",
	       "the failed re-install leaves no snapshot area");
	expect(&r, REP_DISABLE, 0, "snapshot-reinstall", "disable always succeeds");
	vm_close_fds(&vm);
	vm_free_mem(&vm);
	result_pass();
}

/*
 * pmu-oob: counter 64 and an unconfigured firmware counter are refused
 * (SBI_ERR_INVALID_PARAM), not read past KVM's arrays.
 */
int cmd_pmu_oob(int argc, char **argv)
{
	struct reports r = {};
	struct vm vm;

	(void)argv;
	if (argc > 1)
		result_fail("pmu-oob: no arguments");
	run_reporting(&vm, ENTRY_PMUOOB, &r, "pmu-oob");
	expect_pmu(&r, "pmu-oob");
	if (!r.seen[REP_OOB_FWIDX])
		result_fail("pmu-oob: the guest found no firmware counter");
	if (r.seen[REP_OOB_INFO] && r.err[REP_OOB_INFO] == 0)
		result_fail("pmu-oob: get_info(64) succeeded: KVM read one past its counters (info 0x%lx)",
			    r.val[REP_OOB_INFO]);
	if (r.seen[REP_OOB_FWREAD] && r.err[REP_OOB_FWREAD] == 0)
		result_fail("pmu-oob: fw_read of unconfigured counter %lu succeeded: KVM read fw_event[0xffff] (value 0x%lx)",
			    r.val[REP_OOB_FWIDX], r.val[REP_OOB_FWREAD]);
	expect(&r, REP_OOB_INFO, SBI_ERR_INVALID_PARAM, "pmu-oob", "counter 64 does not exist");
	expect(&r, REP_OOB_FWREAD, SBI_ERR_INVALID_PARAM, "pmu-oob", "the counter has no event");
	vm_close_fds(&vm);
	vm_free_mem(&vm);
	result_pass();
}

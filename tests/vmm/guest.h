/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Contract between kvmtest (the VMM) and its guest payloads (guest.S).
 * Plain numbers only: this file is included from C and from assembly.
 */
#ifndef KVMTEST_GUEST_H
#define KVMTEST_GUEST_H

/* One memslot; the payload is copied to its start. */
#define GUEST_BASE		0x80000000
#define GUEST_SIZE		0x200000

/* Never backed by a memslot: accesses exit as KVM_EXIT_MMIO. */
#define GUEST_MMIO		0x40000000

/*
 * A memslot of one page whose host side is a hole in the host's physical
 * map (kvmtest maps it from /dev/mem): every access to it is an access
 * fault, which KVM hands back to the guest.
 */
#define GUEST_ACCESS		0x70000000

/* Data area the guest writes and the VMM reads (and vice versa). */
#define GUEST_DATA		0x80100000
#define RES(n)			(GUEST_DATA + 8 * (n))	/* u64 results */
#define TRAP_COUNTS		(GUEST_DATA + 0x800)	/* u64[16], by scause */
#define PMU_INFO		(GUEST_DATA + 0x1000)	/* u64[64] ctr_info */
#define MISAL_BUF		(GUEST_DATA + 0x2000)
#define HSM_ALIVE		(GUEST_DATA + 0x3000)	/* u64[8], by hart */
#define HSM_RELEASE		(GUEST_DATA + 0x3100)
#define HSM_SEC_TIMEOUT		(GUEST_DATA + 0x3200)
#define HSM_SEC_RESUMED		(GUEST_DATA + 0x3300)
#define HSM_SEC_STOPFAIL	(GUEST_DATA + 0x3400)
#define FUZZ_HIST		(GUEST_DATA + 0x3800)	/* u64[16], by -sbiret.error */
#define SNAP_PAGE1		(GUEST_DATA + 0x10000)	/* page aligned */
#define SNAP_PAGE2		(GUEST_DATA + 0x11000)
/* fuzz: shared-memory addresses that are RAM point here (64 KiB). */
#define FUZZ_SCRATCH		(GUEST_DATA + 0x20000)
/* A snapshot area whose first page is the memslot's last: the rest is not RAM. */
#define SNAP_EDGE		(GUEST_BASE + GUEST_SIZE - 0x1000 + 0x40)

/* Payload entry points: byte offsets from GUEST_BASE (a jump table). */
#define ENTRY_SMOKE		0
#define ENTRY_STATS		4
#define ENTRY_PERF		8
#define ENTRY_SNAPSHOT		12
#define ENTRY_HSM		16
#define ENTRY_HSM_PARK		20
#define ENTRY_SNAPEDGE		24
#define ENTRY_PMUMASK		28
#define ENTRY_BENCH		32
#define ENTRY_REINSTALL		36
#define ENTRY_PMUOOB		40
#define ENTRY_ARMSNAP		44
#define ENTRY_FUZZ		48
#define ENTRY_IFETCH		52
#define ENTRY_MMIOSIGN		56
#define ENTRY_TIMER		60
#define ENTRY_HSMSTATUS		64
#define ENTRY_IMSIC		68
#define ENTRY_IPI		72

/*
 * Our own SBI extension, in the vendor range (0x09000000-0x09FFFFFF) that
 * KVM always forwards to userspace as KVM_EXIT_RISCV_SBI.
 */
#define VMT_EXT			0x09564d54
#define VMT_PING		0	/* a0 = seq, a1 = PING_MAGIC */
#define VMT_DONE		1	/* a0 = payload-specific value */
#define VMT_FAIL		2	/* a0 = FAIL_*, a1/a2 = values */
#define VMT_REPORT		3	/* a0 = REP_*, a1/a2 = values */
#define VMT_SYNC		4	/* a0 = SYNC_*; ret a1 = answer */

#define PING_MAGIC		0x5a17
#define PING_XOR		0x3c3c3c3c
#define MMIO_STORE_VAL		0x1122334455667788
#define MMIO_LOAD_VAL		0x0badc0dedeadbeef

/* Guest-detected failures (VMT_FAIL a0). */
#define FAIL_PING		1
#define FAIL_TRAP		2	/* unexpected trap: a1 scause, a2 sepc */
#define FAIL_BENCH		3	/* base probe of BASE failed: a1 value */
#define FAIL_HSM_SELF		10
#define FAIL_HSM_INVALID	11
#define FAIL_HSM_STATUS_ERR	12
#define FAIL_HSM_STATUS_VAL	13
#define FAIL_HSM_START		14
#define FAIL_HSM_P1_NOT_STOPPED	15
#define FAIL_HSM_P1_START	16
#define FAIL_HSM_P1_NOT_ALIVE	17
#define FAIL_HSM_P1_RESTART	18
#define FAIL_HSM_P1_NOT_STARTED	19
#define FAIL_HSM_P1_NO_STOP	20

/* perf-fail / snapshot reports (VMT_REPORT a0). */
/* a1 = sbiret.error, a2 = sbiret.value */
#define REP_PMU_PROBE		1
#define REP_NUM_CTRS		2
#define REP_CFG_CACHE		3
#define REP_CFG_HW		4
#define REP_CFG_RAW		5
#define REP_CFG_FW		6
#define REP_STOP_FW		7
#define REP_SET_SHMEM		8
#define REP_START		9
#define REP_STOP_SNAP		10
#define REP_DISABLE		11
#define REP_START2		12
#define REP_STOP_SNAP_NOSHMEM	13
#define REP_STOP2		14
#define REP_START_SNAP_NOSHMEM	15
#define REP_SET_SHMEM2		16
#define REP_START3		17
#define REP_RAW_RELEASE		18
#define REP_MASK_START		19
#define REP_MASK_STOP		20
#define REP_MASK_CFG		21
#define REP_REINST_EDGE		22
#define REP_REINST_STOP		23
#define REP_OOB_INFO		24
#define REP_OOB_FWIDX		25
#define REP_OOB_FWREAD		26

/* snapshot sync points (VMT_SYNC a0). */
#define SYNC_SNAP_TAKEN		1	/* check page 1 holds the value */
#define SYNC_SNAP_FILL		2	/* fill page 1 with a pattern */
#define SYNC_SNAP_DISABLED	3	/* pattern must be intact */
#define SYNC_SNAP_AFTER_OPS	4	/* still intact */
#define SYNC_SNAP_FILL2		5	/* fill page 2 (armed at destroy) */
/* hsm: ask whether to go on; answer 0 stop, 1 strict, 2 racy phase. */
#define SYNC_HSM_ROUND		6

/* bench: kinds of loop (a0). */
#define BENCH_PING		0	/* SBI call to the VMM and back */
#define BENCH_PROBE		1	/* SBI call handled in KVM */
#define BENCH_ILLEGAL		2	/* illegal instruction redirected */

/* exit-stats: kinds of misaligned access (a3). */
#define MISAL_PLAIN		1
#define MISAL_ATOMIC		2

/* Result slots, RES(n). */
#define R_HSM_ROUNDS		0
#define R_HSM_P1_ROUNDS		1
#define R_HSM_START_OK		2
#define R_HSM_START_BUSY	3
#define R_HSM_LOST		4
#define R_HSM_ST_STARTED	5
#define R_HSM_ST_STOPPED	6
#define R_HSM_ST_SUSPENDED	7
#define R_SNAP_CTR		8
#define R_SNAP_TIMER_CALLS	9
#define R_HSM_TMO		10	/* VMM: secondaries' spin bound, ticks */
#define R_FUZZ_HASH		11	/* FNV-1a of (ext, fid, error) per call */
#define R_FUZZ_BAD		12	/* calls whose error is no SBI error code */
#define R_FUZZ_BAD_EXT		13	/* the last such call: ext, fid, error */
#define R_FUZZ_BAD_FID		14
#define R_FUZZ_BAD_ERR		15
#define R_FUZZ_TRAPS		16	/* traps that reached the guest */
#define R_FUZZ_TRAP_CAUSE	17	/* the last one's scause, sepc */
#define R_FUZZ_TRAP_PC		18
#define R_ACC_LOADS		19	/* exit-stats: loads and stores at GUEST_ACCESS */
#define R_ACC_STORES		20
#define R_MMIO_LB		21	/* mmio-sign: what lb, lh, lw, lbu gave */
#define R_MMIO_LH		22
#define R_MMIO_LW		23
#define R_MMIO_LBU		24

/* SBI encodings (SBI spec v2.0). */
#define SBI_EXT_BASE		0x10
#define SBI_BASE_PROBE_EXT	3
#define SBI_EXT_TIME		0x54494d45
#define SBI_EXT_HSM		0x48534d
#define SBI_HSM_START		0
#define SBI_HSM_STOP		1
#define SBI_HSM_STATUS		2
#define SBI_HSM_STARTED		0
#define SBI_HSM_STOPPED		1
#define SBI_HSM_SUSPENDED	4
#define SBI_EXT_IPI		0x735049
#define SBI_IPI_SEND		0
#define SBI_EXT_RFENCE		0x52464e43
#define SBI_EXT_SRST		0x53525354
#define SBI_EXT_SUSP		0x53555350
#define SBI_EXT_STA		0x535441
#define SBI_EXT_DBCN		0x4442434e
#define SBI_EXT_PMU		0x504d55
#define SBI_PMU_NUM_COUNTERS	0
#define SBI_PMU_GET_INFO	1
#define SBI_PMU_CFG_MATCH	2
#define SBI_PMU_START		3
#define SBI_PMU_STOP		4
#define SBI_PMU_FW_READ		5
#define SBI_PMU_SNAPSHOT_SHMEM	7
#define SBI_PMU_START_SET_INIT	1
#define SBI_PMU_START_INIT_SNAP	2
#define SBI_PMU_STOP_RESET	1
#define SBI_PMU_STOP_SNAPSHOT	2
/* event_idx = type << 16 | code */
#define EVT_CACHE_BOGUS		0x1fff8	/* cache_id 0x1fff: no such cache */
#define EVT_HW_BOGUS		0x000ff	/* hw code past the defined ones */
#define EVT_RAW			0x20000
#define EVT_RAW_DATA		0xdeadbeef
#define EVT_FW_SET_TIMER	0xf0005

#define SBI_ERR_FAILURE		-1
#define SBI_ERR_NOT_SUPPORTED	-2
#define SBI_ERR_INVALID_PARAM	-3
#define SBI_ERR_ALREADY_AVAILABLE -6
#define SBI_ERR_NO_SHMEM	-9

#endif

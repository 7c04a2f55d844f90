/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest payloads for kvmtest.  They run in VS-mode with the MMU off,
 * copied to GUEST_BASE.  The blob is linked into the host binary, so:
 *  - addresses of payload labels come from lla (auipc: PC-relative; la
 *    would load the host's absolute address from the GOT under PIE), and
 *    norelax keeps the linker from turning them into absolute or
 *    gp-relative ones: the code runs at another address;
 *  - norvc: every instruction is 4 bytes, so a trap handler can skip the
 *    faulting one with sepc += 4.
 * Absolute addresses used here are guest physical ones from guest.h.
 *
 * Registers: s10, s11 and t6 belong to the exit-stats trap handler and
 * are not used elsewhere.
 */
#include "guest.h"

	.option	norvc
	.option	norelax

.macro SBI_CALL ext, fid
	li	a7, \ext
	li	a6, \fid
	ecall
.endm

.macro VMT fid
	SBI_CALL VMT_EXT, \fid
.endm

/* Copy through t0/t1 so that any registers may be passed. */
.macro REPORT key, r1, r2
	mv	t0, \r1
	mv	t1, \r2
	mv	a1, t0
	mv	a2, t1
	li	a0, \key
	VMT	VMT_REPORT
.endm

.macro FAIL code, r1, r2
	mv	t0, \r1
	mv	t1, \r2
	mv	a1, t0
	mv	a2, t1
	li	a0, \code
	VMT	VMT_FAIL
	j	halt
.endm

.macro INC slot
	li	t0, RES(\slot)
	ld	t1, 0(t0)
	addi	t1, t1, 1
	sd	t1, 0(t0)
.endm

/* s0 = probe_extension(PMU), reported; no SBI PMU: go to \done. */
.macro PMU_PROBE done
	li	a0, SBI_EXT_PMU
	SBI_CALL SBI_EXT_BASE, SBI_BASE_PROBE_EXT
	mv	s0, a1
	REPORT	REP_PMU_PROBE, a0, s0
	beqz	s0, \done
.endm

/* s1 = the number of counters, reported. */
.macro PMU_NUM_CTRS
	SBI_CALL SBI_EXT_PMU, SBI_PMU_NUM_COUNTERS
	mv	s1, a1
	REPORT	REP_NUM_CTRS, a0, s1
.endm

.macro DEFAULT_TRAP
	lla	t0, unexpected_trap
	csrw	stvec, t0
.endm

	.section .text.guest, "ax"
	.balign	64
	.globl	guest_code_start
guest_code_start:
	/* Entry table: ENTRY_* in guest.h are offsets into it. */
	j	smoke_entry
	j	stats_entry
	j	perf_entry
	j	snapshot_entry
	j	hsm_entry
	j	hsm_park_entry
	j	snapedge_entry
	j	pmumask_entry
	j	bench_entry
	j	reinstall_entry
	j	pmuoob_entry
	j	armsnap_entry
	j	fuzz_entry
	j	ifetch_entry
	j	mmiosign_entry
	j	timer_entry
	j	hsmstatus_entry
	j	imsic_entry
	j	ipi_entry

halt:
	wfi
	j	halt

	.balign	4
unexpected_trap:
	csrr	t2, scause
	csrr	t3, sepc
	FAIL	FAIL_TRAP, t2, t3

/*
 * smoke: a0 = number of pings, a1 = an address with no memslot.
 * Each ping exits to the VMM, which answers seq ^ PING_XOR.
 */
smoke_entry:
	DEFAULT_TRAP
	mv	s0, a0
	mv	s1, a1
	li	s2, 0
1:	bgeu	s2, s0, 2f
	mv	a0, s2
	li	a1, PING_MAGIC
	VMT	VMT_PING
	bnez	a0, 3f
	li	t0, PING_XOR
	xor	t0, t0, s2
	bne	a1, t0, 3f
	addi	s2, s2, 1
	j	1b
3:	FAIL	FAIL_PING, s2, a1
2:	li	t0, MMIO_STORE_VAL
	sd	t0, 0(s1)
	ld	a0, 8(s1)
	VMT	VMT_DONE
	j	halt

/*
 * exit-stats: a0 = K illegal instructions, a1 = M misaligned loads,
 * a2 = N misaligned stores, a3 = MISAL_* kinds to use.  The trap handler
 * counts what reaches the guest, by scause, in TRAP_COUNTS.
 */
stats_entry:
	lla	t0, stats_trap
	csrw	stvec, t0
	mv	s0, a0
	mv	s1, a1
	mv	s2, a2
	mv	s3, a3
	li	t0, TRAP_COUNTS
	li	t1, 16
1:	sd	zero, 0(t0)
	addi	t0, t0, 8
	addi	t1, t1, -1
	bnez	t1, 1b
	li	s4, MISAL_BUF

	mv	t2, s0
1:	beqz	t2, 2f
	/* All-zero bits: defined illegal by the ISA (unpriv. spec 1.5). */
	.word	0
	addi	t2, t2, -1
	j	1b
2:
	andi	t0, s3, MISAL_PLAIN
	beqz	t0, 5f
	mv	t2, s1
1:	beqz	t2, 2f
	ld	t3, 1(s4)
	addi	t2, t2, -1
	j	1b
2:	mv	t2, s2
1:	beqz	t2, 5f
	sd	t3, 1(s4)
	addi	t2, t2, -1
	j	1b
5:
	/*
	 * Atomics must be naturally aligned unless Zam: these trap even
	 * where plain misaligned accesses are done in hardware.
	 */
	andi	t0, s3, MISAL_ATOMIC
	beqz	t0, 6f
	addi	s5, s4, 2
	mv	t2, s1
1:	beqz	t2, 2f
	lr.w	t3, (s5)
	addi	t2, t2, -1
	j	1b
2:	mv	t2, s2
	li	t4, 1
1:	beqz	t2, 6f
	amoadd.w t3, t4, (s5)
	addi	t2, t2, -1
	j	1b
6:	/* Access faults: loads and stores at GUEST_ACCESS, as many as RES says. */
	li	s5, GUEST_ACCESS
	li	t0, RES(R_ACC_LOADS)
	ld	t2, 0(t0)
1:	beqz	t2, 2f
	ld	t3, 0(s5)
	addi	t2, t2, -1
	j	1b
2:	li	t0, RES(R_ACC_STORES)
	ld	t2, 0(t0)
1:	beqz	t2, 7f
	sd	t3, 0(s5)
	addi	t2, t2, -1
	j	1b
7:	li	a0, 0
	VMT	VMT_DONE
	j	halt

/* Count causes 2, 4, 5, 6, 7 and skip the instruction; others fail. */
	.balign	4
stats_trap:
	csrr	t6, scause
	bltz	t6, unexpected_trap
	li	s11, 16
	bgeu	t6, s11, unexpected_trap
	li	s11, 0xf4
	srl	s11, s11, t6
	andi	s11, s11, 1
	beqz	s11, unexpected_trap
	slli	t6, t6, 3
	li	s11, TRAP_COUNTS
	add	s11, s11, t6
	ld	s10, 0(s11)
	addi	s10, s10, 1
	sd	s10, 0(s11)
	csrr	t6, sepc
	addi	t6, t6, 4
	csrw	sepc, t6
	sret

/* s4 = mask covering counters 0..s1-1 (s1 = number of counters). */
pmu_all_mask:
	li	s4, -1
	li	t0, 64
	bgeu	s1, t0, 1f
	li	s4, 1
	sll	s4, s4, s1
	addi	s4, s4, -1
1:	ret

/*
 * perf-fail: ask for events the host perf cannot create; KVM must answer
 * SBI_ERR_NOT_SUPPORTED in place (no exit, no KVM_RUN error).
 */
perf_entry:
	DEFAULT_TRAP
	PMU_PROBE perf_done

	PMU_NUM_CTRS

	/* Info of each counter: value at PMU_INFO[i], error at +0x200. */
	li	s2, 0
	li	s3, PMU_INFO
1:	bgeu	s2, s1, 2f
	li	t0, 64
	bgeu	s2, t0, 2f
	mv	a0, s2
	SBI_CALL SBI_EXT_PMU, SBI_PMU_GET_INFO
	slli	t0, s2, 3
	add	t0, t0, s3
	sd	a1, 0(t0)
	sd	a0, 0x200(t0)
	addi	s2, s2, 1
	j	1b
2:	jal	pmu_all_mask

	li	a0, 0
	mv	a1, s4
	li	a2, 0
	li	a3, EVT_CACHE_BOGUS
	li	a4, 0
	SBI_CALL SBI_EXT_PMU, SBI_PMU_CFG_MATCH
	REPORT	REP_CFG_CACHE, a0, a1

	li	a0, 0
	mv	a1, s4
	li	a2, 0
	li	a3, EVT_HW_BOGUS
	li	a4, 0
	SBI_CALL SBI_EXT_PMU, SBI_PMU_CFG_MATCH
	REPORT	REP_CFG_HW, a0, a1

	/* Host-dependent: reported, and released if it got a counter. */
	li	a0, 0
	mv	a1, s4
	li	a2, 0
	li	a3, EVT_RAW
	li	a4, EVT_RAW_DATA
	SBI_CALL SBI_EXT_PMU, SBI_PMU_CFG_MATCH
	mv	s5, a0
	mv	s6, a1
	REPORT	REP_CFG_RAW, s5, s6
	bnez	s5, 4f
	mv	a0, s6
	li	a1, 1
	li	a2, SBI_PMU_STOP_RESET
	SBI_CALL SBI_EXT_PMU, SBI_PMU_STOP
	REPORT	REP_RAW_RELEASE, a0, a1
4:
	/* The PMU still works after the failures. */
	li	a0, 0
	mv	a1, s4
	li	a2, 4			/* SBI_PMU_CFG_FLAG_AUTO_START */
	li	a3, EVT_FW_SET_TIMER
	li	a4, 0
	SBI_CALL SBI_EXT_PMU, SBI_PMU_CFG_MATCH
	mv	s5, a0
	mv	s6, a1
	REPORT	REP_CFG_FW, s5, s6
	bnez	s5, perf_done
	mv	a0, s6
	li	a1, 1
	li	a2, SBI_PMU_STOP_RESET
	SBI_CALL SBI_EXT_PMU, SBI_PMU_STOP
	REPORT	REP_STOP_FW, a0, a1
perf_done:
	li	a0, 0
	VMT	VMT_DONE
	j	halt

/* s7 SBI set_timer calls (each counts in the SET_TIMER fw counter). */
set_timer_n:
	mv	t3, s7
1:	beqz	t3, 2f
	li	a0, -1
	SBI_CALL SBI_EXT_TIME, 0
	addi	t3, t3, -1
	j	1b
2:	ret

/*
 * snapshot: KVM may touch the snapshot page only in counter stop/start
 * with the snapshot flags (SBI v2.0, PMU FID #7); never once disabled.
 * s6 = the firmware counter index.
 */
snapshot_entry:
	DEFAULT_TRAP
	PMU_PROBE snap_done
	PMU_NUM_CTRS
	jal	pmu_all_mask

	li	a0, SNAP_PAGE1
	li	a1, 0
	li	a2, 0
	SBI_CALL SBI_EXT_PMU, SBI_PMU_SNAPSHOT_SHMEM
	mv	s5, a0
	REPORT	REP_SET_SHMEM, s5, a1
	bnez	s5, snap_done

	li	a0, 0
	mv	a1, s4
	li	a2, 0
	li	a3, EVT_FW_SET_TIMER
	li	a4, 0
	SBI_CALL SBI_EXT_PMU, SBI_PMU_CFG_MATCH
	mv	s5, a0
	mv	s6, a1
	REPORT	REP_CFG_FW, s5, s6
	bnez	s5, snap_done

	mv	a0, s6
	li	a1, 1
	li	a2, SBI_PMU_START_SET_INIT
	li	a3, 0
	SBI_CALL SBI_EXT_PMU, SBI_PMU_START
	REPORT	REP_START, a0, a1
	li	s7, 5
	li	t0, RES(R_SNAP_TIMER_CALLS)
	sd	s7, 0(t0)
	jal	set_timer_n
	mv	a0, s6
	li	a1, 1
	li	a2, SBI_PMU_STOP_SNAPSHOT
	SBI_CALL SBI_EXT_PMU, SBI_PMU_STOP
	REPORT	REP_STOP_SNAP, a0, a1
	li	a0, SYNC_SNAP_TAKEN
	VMT	VMT_SYNC
	li	a0, SYNC_SNAP_FILL
	VMT	VMT_SYNC

	li	a0, -1
	li	a1, -1
	li	a2, 0
	SBI_CALL SBI_EXT_PMU, SBI_PMU_SNAPSHOT_SHMEM
	REPORT	REP_DISABLE, a0, a1
	li	a0, SYNC_SNAP_DISABLED
	VMT	VMT_SYNC

	mv	a0, s6
	li	a1, 1
	li	a2, 0
	li	a3, 0
	SBI_CALL SBI_EXT_PMU, SBI_PMU_START
	REPORT	REP_START2, a0, a1
	li	s7, 3
	jal	set_timer_n
	mv	a0, s6
	li	a1, 1
	li	a2, SBI_PMU_STOP_SNAPSHOT
	SBI_CALL SBI_EXT_PMU, SBI_PMU_STOP
	REPORT	REP_STOP_SNAP_NOSHMEM, a0, a1
	mv	a0, s6
	li	a1, 1
	li	a2, 0
	SBI_CALL SBI_EXT_PMU, SBI_PMU_STOP
	REPORT	REP_STOP2, a0, a1
	mv	a0, s6
	li	a1, 1
	li	a2, SBI_PMU_START_INIT_SNAP
	li	a3, 0
	SBI_CALL SBI_EXT_PMU, SBI_PMU_START
	REPORT	REP_START_SNAP_NOSHMEM, a0, a1
	li	a0, SYNC_SNAP_AFTER_OPS
	VMT	VMT_SYNC

	/* Arm it again and leave the counter running for the destroy. */
	li	a0, SNAP_PAGE2
	li	a1, 0
	li	a2, 0
	SBI_CALL SBI_EXT_PMU, SBI_PMU_SNAPSHOT_SHMEM
	REPORT	REP_SET_SHMEM2, a0, a1
	mv	a0, s6
	li	a1, 1
	li	a2, SBI_PMU_START_SET_INIT
	li	a3, 0
	SBI_CALL SBI_EXT_PMU, SBI_PMU_START
	REPORT	REP_START3, a0, a1
	li	a0, SYNC_SNAP_FILL2
	VMT	VMT_SYNC
snap_done:
	li	a0, 0
	VMT	VMT_DONE
	j	halt

/*
 * snapshot-edge: set_shmem of an area that starts on the memslot's last
 * page and runs past it (its first page is RAM and writable; writing the
 * whole area fails), then disable.  Before 310e2096b082 KVM freed its
 * shadow copy on that failure but kept the pointer: the disable wrote
 * into it and freed it again.
 */
snapedge_entry:
	DEFAULT_TRAP
	PMU_PROBE edge_done
	li	a0, SNAP_EDGE
	li	a1, 0
	li	a2, 0
	SBI_CALL SBI_EXT_PMU, SBI_PMU_SNAPSHOT_SHMEM
	REPORT	REP_SET_SHMEM, a0, a1
	li	a0, -1
	li	a1, -1
	li	a2, 0
	SBI_CALL SBI_EXT_PMU, SBI_PMU_SNAPSHOT_SHMEM
	REPORT	REP_DISABLE, a0, a1
edge_done:
	li	a0, 0
	VMT	VMT_DONE
	j	halt

/*
 * pmu-mask: counter start, stop and configure with ctr_base = ULONG_MAX
 * and ctr_mask = 3.  base + __fls(mask) wraps to 0 and passed the check
 * before 1762ac42eed6; KVM then indexed its counters with base + 0.
 */
pmumask_entry:
	DEFAULT_TRAP
	PMU_PROBE mask_done
	li	a0, -1
	li	a1, 3
	li	a2, 0
	li	a3, 0
	SBI_CALL SBI_EXT_PMU, SBI_PMU_START
	REPORT	REP_MASK_START, a0, a1
	li	a0, -1
	li	a1, 3
	li	a2, 0
	SBI_CALL SBI_EXT_PMU, SBI_PMU_STOP
	REPORT	REP_MASK_STOP, a0, a1
	li	a0, -1
	li	a1, 3
	li	a2, 0
	li	a3, EVT_FW_SET_TIMER
	li	a4, 0
	SBI_CALL SBI_EXT_PMU, SBI_PMU_CFG_MATCH
	REPORT	REP_MASK_CFG, a0, a1
mask_done:
	li	a0, 0
	VMT	VMT_DONE
	j	halt

/*
 * snapshot-reinstall: a started firmware counter, the snapshot area set on
 * page 1, set again on page 2 (a re-install), then on an area past the end
 * of RAM (fails), then a stop that takes a snapshot.  Before b7749531a9b1
 * the re-install leaked the old copy and the failure left snapshot_addr
 * pointing at page 2 with the copy freed (or NULL): the stop wrote into it.
 */
reinstall_entry:
	DEFAULT_TRAP
	PMU_PROBE reinst_done
	PMU_NUM_CTRS
	jal	pmu_all_mask
	li	a0, 0
	mv	a1, s4
	li	a2, 4			/* SBI_PMU_CFG_FLAG_AUTO_START */
	li	a3, EVT_FW_SET_TIMER
	li	a4, 0
	SBI_CALL SBI_EXT_PMU, SBI_PMU_CFG_MATCH
	mv	s5, a0
	mv	s6, a1
	REPORT	REP_CFG_FW, s5, s6
	bnez	s5, reinst_done
	li	a0, SNAP_PAGE1
	li	a1, 0
	li	a2, 0
	SBI_CALL SBI_EXT_PMU, SBI_PMU_SNAPSHOT_SHMEM
	REPORT	REP_SET_SHMEM, a0, a1
	li	a0, SNAP_PAGE2
	li	a1, 0
	li	a2, 0
	SBI_CALL SBI_EXT_PMU, SBI_PMU_SNAPSHOT_SHMEM
	REPORT	REP_SET_SHMEM2, a0, a1
	li	a0, SNAP_EDGE
	li	a1, 0
	li	a2, 0
	SBI_CALL SBI_EXT_PMU, SBI_PMU_SNAPSHOT_SHMEM
	REPORT	REP_REINST_EDGE, a0, a1
	mv	a0, s6
	li	a1, 1
	li	a2, SBI_PMU_STOP_SNAPSHOT
	SBI_CALL SBI_EXT_PMU, SBI_PMU_STOP
	REPORT	REP_REINST_STOP, a0, a1
	li	a0, -1
	li	a1, -1
	li	a2, 0
	SBI_CALL SBI_EXT_PMU, SBI_PMU_SNAPSHOT_SHMEM
	REPORT	REP_DISABLE, a0, a1
reinst_done:
	li	a0, 0
	VMT	VMT_DONE
	j	halt

/*
 * pmu-oob: counter indexes just past what KVM keeps.  get_info of counter
 * RISCV_KVM_MAX_COUNTERS (64) read pmc[64] before 5c1bb0787111; a
 * firmware-counter read of a counter never configured read fw_event[0xffff]
 * (event_idx is all ones) before 99594f75b49e.  Both must fail.
 */
pmuoob_entry:
	DEFAULT_TRAP
	PMU_PROBE oob_done
	PMU_NUM_CTRS
	li	a0, 64
	SBI_CALL SBI_EXT_PMU, SBI_PMU_GET_INFO
	REPORT	REP_OOB_INFO, a0, a1
	/* The first firmware counter: get_info bit 63 (type) set. */
	li	s2, 0
1:	bgeu	s2, s1, oob_done
	mv	a0, s2
	SBI_CALL SBI_EXT_PMU, SBI_PMU_GET_INFO
	bnez	a0, 2f
	bltz	a1, 3f
2:	addi	s2, s2, 1
	j	1b
3:	li	t0, 0
	REPORT	REP_OOB_FWIDX, t0, s2
	mv	a0, s2
	SBI_CALL SBI_EXT_PMU, SBI_PMU_FW_READ
	REPORT	REP_OOB_FWREAD, a0, a1
oob_done:
	li	a0, 0
	VMT	VMT_DONE
	j	halt

/*
 * armsnap: the PMU snapshot area set on page 1, left armed for the VM's
 * destruction (stress: many VMs).  VMT_DONE a0 = set_shmem's error, or 1
 * when the guest has no SBI PMU.
 */
armsnap_entry:
	DEFAULT_TRAP
	li	a0, SBI_EXT_PMU
	SBI_CALL SBI_EXT_BASE, SBI_BASE_PROBE_EXT
	li	a0, 1
	beqz	a1, 1f
	li	a0, SNAP_PAGE1
	li	a1, 0
	li	a2, 0
	SBI_CALL SBI_EXT_PMU, SBI_PMU_SNAPSHOT_SHMEM
1:	VMT	VMT_DONE
	j	halt

/*
 * bench: a0 = kind (BENCH_*), a1 = iterations.  Times the loop with the
 * guest's own clock (time CSR) and reports the ticks with VMT_DONE: the
 * host's wall clock would also count QEMU's scheduling of the VMM.
 */
bench_entry:
	DEFAULT_TRAP
	mv	s0, a0
	mv	s1, a1
	li	s2, 0
	li	t0, BENCH_ILLEGAL
	bne	s0, t0, 1f
	/* Illegal instructions come back through the counting handler. */
	lla	t0, stats_trap
	csrw	stvec, t0
1:	rdtime	s3
bench_loop:
	bgeu	s2, s1, bench_end
	li	t0, BENCH_PING
	beq	s0, t0, 2f
	li	t0, BENCH_PROBE
	beq	s0, t0, 3f
	.word	0
	j	4f
2:	VMT	VMT_PING
	j	4f
3:	li	a0, SBI_EXT_BASE
	SBI_CALL SBI_EXT_BASE, SBI_BASE_PROBE_EXT
	beqz	a1, bench_bad
4:	addi	s2, s2, 1
	j	bench_loop
bench_end:
	rdtime	t0
	sub	a0, t0, s3
	VMT	VMT_DONE
	j	halt
bench_bad:
	FAIL	FAIL_BENCH, a0, a1

/*
 * hsm, boot hart: a0 = number of harts, a1 = long timeout and a2 = short
 * timeout (time CSR ticks).  Rounds go on while the VMM answers non-zero
 * to SYNC_HSM_ROUND: 1 = strict phase (the VMM only reads mp_state, so
 * every return code is determined), 2 = racy phase (the VMM also writes
 * mp_state, so a start may be lost or find the hart running).
 *
 * s0 harts, s1/s2 timeouts, s3 round, s4 phase, s5 target hart,
 * s6 secondary entry, s8 deadline.
 */
hsm_entry:
	DEFAULT_TRAP
	mv	s0, a0
	mv	s1, a1
	mv	s2, a2
	lla	s6, hsm_secondary
	li	s3, 0
hsm_round:
	addi	s3, s3, 1
	li	a0, SYNC_HSM_ROUND
	mv	a1, s3
	VMT	VMT_SYNC
	mv	s4, a1
	beqz	s4, hsm_done
	INC	R_HSM_ROUNDS
	li	t0, 1
	bne	s4, t0, 1f
	INC	R_HSM_P1_ROUNDS
1:
	/* Starting ourselves: we are running. */
	li	a0, 0
	mv	a1, s6
	li	a2, 0
	SBI_CALL SBI_EXT_HSM, SBI_HSM_START
	li	t0, SBI_ERR_ALREADY_AVAILABLE
	beq	a0, t0, 1f
	FAIL	FAIL_HSM_SELF, a0, zero
1:	/* No such hart. */
	li	a0, 0x1000
	mv	a1, s6
	li	a2, 0
	SBI_CALL SBI_EXT_HSM, SBI_HSM_START
	li	t0, SBI_ERR_INVALID_PARAM
	beq	a0, t0, 1f
	FAIL	FAIL_HSM_INVALID, a0, zero
1:	li	s5, 1
hsm_hart:
	bgeu	s5, s0, hsm_round
	li	t0, 1
	beq	s4, t0, hsm_strict

	/* Racy phase: any sane answer, counted. */
	mv	a0, s5
	SBI_CALL SBI_EXT_HSM, SBI_HSM_STATUS
	beqz	a0, 1f
	FAIL	FAIL_HSM_STATUS_ERR, a0, s5
1:	jal	hsm_count_status
	mv	a0, s5
	mv	a1, s6
	mv	a2, s3
	SBI_CALL SBI_EXT_HSM, SBI_HSM_START
	beqz	a0, 2f
	li	t0, SBI_ERR_ALREADY_AVAILABLE
	beq	a0, t0, 3f
	FAIL	FAIL_HSM_START, a0, s5
3:	INC	R_HSM_START_BUSY
	j	4f
2:	INC	R_HSM_START_OK
	slli	t0, s5, 3
	li	a4, HSM_ALIVE
	add	a4, a4, t0
	mv	a5, s2
	jal	wait_eq
	bnez	a0, 4f
	INC	R_HSM_LOST
4:	jal	hsm_release
	addi	s5, s5, 1
	j	hsm_hart

hsm_strict:
	mv	a0, s5
	SBI_CALL SBI_EXT_HSM, SBI_HSM_STATUS
	bnez	a0, 1f
	li	t0, SBI_HSM_STOPPED
	beq	a1, t0, 2f
1:	FAIL	FAIL_HSM_P1_NOT_STOPPED, a0, a1
2:	jal	hsm_count_status
	mv	a0, s5
	mv	a1, s6
	mv	a2, s3
	SBI_CALL SBI_EXT_HSM, SBI_HSM_START
	beqz	a0, 1f
	FAIL	FAIL_HSM_P1_START, a0, s5
1:	INC	R_HSM_START_OK
	slli	t0, s5, 3
	li	a4, HSM_ALIVE
	add	a4, a4, t0
	mv	a5, s1
	jal	wait_eq
	bnez	a0, 1f
	FAIL	FAIL_HSM_P1_NOT_ALIVE, s5, s3
1:	/* It spins until released: a second start must fail. */
	mv	a0, s5
	mv	a1, s6
	mv	a2, s3
	SBI_CALL SBI_EXT_HSM, SBI_HSM_START
	li	t0, SBI_ERR_ALREADY_AVAILABLE
	beq	a0, t0, 1f
	FAIL	FAIL_HSM_P1_RESTART, a0, s5
1:	INC	R_HSM_START_BUSY
	mv	a0, s5
	SBI_CALL SBI_EXT_HSM, SBI_HSM_STATUS
	bnez	a0, 1f
	li	t0, SBI_HSM_STARTED
	beq	a1, t0, 2f
1:	FAIL	FAIL_HSM_P1_NOT_STARTED, a0, a1
2:	jal	hsm_count_status
	jal	hsm_release
	/* It stops itself; wait for that. */
	csrr	t0, time
	add	s8, t0, s1
1:	mv	a0, s5
	SBI_CALL SBI_EXT_HSM, SBI_HSM_STATUS
	beqz	a0, 2f
	FAIL	FAIL_HSM_STATUS_ERR, a0, s5
2:	li	t0, SBI_HSM_STOPPED
	beq	a1, t0, 3f
	csrr	t0, time
	bltu	t0, s8, 1b
	FAIL	FAIL_HSM_P1_NO_STOP, a1, s5
3:	addi	s5, s5, 1
	j	hsm_hart

hsm_done:
	mv	a0, s3
	VMT	VMT_DONE
	j	halt

/* Count the hart state in a1; KVM reports only these three. */
hsm_count_status:
	li	t0, SBI_HSM_STARTED
	bne	a1, t0, 1f
	INC	R_HSM_ST_STARTED
	ret
1:	li	t0, SBI_HSM_STOPPED
	bne	a1, t0, 2f
	INC	R_HSM_ST_STOPPED
	ret
2:	li	t0, SBI_HSM_SUSPENDED
	bne	a1, t0, 3f
	INC	R_HSM_ST_SUSPENDED
	ret
3:	FAIL	FAIL_HSM_STATUS_VAL, a1, s5

/* Let hart s5 go: its spin ends once release >= its round. */
hsm_release:
	slli	t0, s5, 3
	li	t1, HSM_RELEASE
	add	t1, t1, t0
	fence	rw, rw
	sd	s3, 0(t1)
	fence	rw, rw
	ret

/* a0 = 1 once the u64 at a4 equals s3, 0 after a5 ticks. */
wait_eq:
	csrr	t0, time
	add	t2, t0, a5
1:	fence	rw, rw
	ld	t1, 0(a4)
	beq	t1, s3, 2f
	csrr	t0, time
	bltu	t0, t2, 1b
	li	a0, 0
	ret
2:	li	a0, 1
	ret

/*
 * Secondary harts: a0 = hart id, a1 = round (the opaque argument).
 * Announce, spin until released (bounded), then stop.  s0 = hart id,
 * which the VMM also sets for the first park.
 */
hsm_secondary:
	mv	s0, a0
	DEFAULT_TRAP
	slli	s1, s0, 3
	li	t0, HSM_ALIVE
	add	t0, t0, s1
	sd	a1, 0(t0)
	fence	rw, rw
	li	t2, HSM_RELEASE
	add	t2, t2, s1
	li	t0, RES(R_HSM_TMO)
	ld	t3, 0(t0)
	csrr	t0, time
	add	t3, t3, t0
1:	fence	rw, rw
	ld	t1, 0(t2)
	bgeu	t1, a1, hsm_park
	csrr	t0, time
	bltu	t0, t3, 1b
	slli	t0, s0, 3
	li	t1, HSM_SEC_TIMEOUT
	add	t0, t0, t1
	ld	t1, 0(t0)
	addi	t1, t1, 1
	sd	t1, 0(t0)
	j	hsm_park

hsm_park_entry:
	DEFAULT_TRAP
hsm_park:
	SBI_CALL SBI_EXT_HSM, SBI_HSM_STOP
	/* Back here: the stop failed, or the VMM made us runnable. */
	slli	t2, s0, 3
	li	t0, HSM_SEC_RESUMED
	beqz	a0, 1f
	li	t0, HSM_SEC_STOPFAIL
1:	add	t0, t0, t2
	ld	t1, 0(t0)
	addi	t1, t1, 1
	sd	t1, 0(t0)
	j	hsm_park


/*
 * fuzz: a0 = seed, a1 = number of SBI calls.  Extension, function and
 * arguments come from a xorshift64 generator seeded by the VMM (the same
 * seed, the same calls), biased to BASE, HSM and PMU, then TIME, IPI,
 * RFENCE, STA, what KVM forwards to the VMM, and any 32-bit id.  Left out:
 * the calls that end the run by design (HSM stop and suspend of this only
 * hart, SRST, SUSP, legacy shutdown) and our own extension.  Shared-memory
 * addresses are 0, -1, small, FUZZ_SCRATCH (aligned or not), the
 * memslot's last bytes, no memslot, or random: KVM may write there.
 * Every sbiret.error must be an SBI error code (0 .. -13); the rest is
 * counted in RES() and FUZZ_HIST.
 *
 * s0 generator, s1 calls, s2 done, s3 hash, s4 ext, s5 fid, s6-s11 args.
 */
.macro RNG rd
	slli	t0, s0, 13
	xor	s0, s0, t0
	srli	t0, s0, 7
	xor	s0, s0, t0
	slli	t0, s0, 17
	xor	s0, s0, t0
	mv	\rd, s0
.endm

fuzz_entry:
	lla	t0, fuzz_trap
	csrw	stvec, t0
	mv	s0, a0
	bnez	s0, 1f
	li	s0, 0x9e3779b97f4a7c15
1:	mv	s1, a1
	li	s2, 0
	li	s3, 0xcbf29ce484222325
fuzz_loop:
	bgeu	s2, s1, fuzz_end
	RNG	t1
	andi	t2, t1, 15
	srli	t1, t1, 4
	andi	s5, t1, 7
	srli	t1, t1, 3
	li	t0, 3
	bltu	t2, t0, 10f
	li	t0, 6
	bltu	t2, t0, 11f
	li	t0, 10
	bltu	t2, t0, 12f
	beq	t2, t0, 13f
	li	t0, 11
	beq	t2, t0, 14f
	li	t0, 12
	beq	t2, t0, 15f
	li	t0, 13
	beq	t2, t0, 16f
	/* any 32-bit id, function 0..15 */
	li	t0, 0xffffffff
	and	s4, t1, t0
	srli	t1, t1, 32
	andi	s5, t1, 15
	j	fuzz_filter
10:	li	s4, SBI_EXT_BASE
	j	fuzz_filter
11:	li	s4, SBI_EXT_HSM
	j	fuzz_filter
12:	li	s4, SBI_EXT_PMU
	andi	t0, t1, 1		/* PMU functions 0..15 */
	slli	t0, t0, 3
	or	s5, s5, t0
	j	fuzz_filter
13:	li	s4, SBI_EXT_TIME
	andi	s5, s5, 1
	j	fuzz_filter
14:	li	s4, SBI_EXT_IPI
	andi	t0, t1, 1
	beqz	t0, fuzz_filter
	li	s4, SBI_EXT_RFENCE
	j	fuzz_filter
15:	li	s4, SBI_EXT_STA
	andi	s5, s5, 1
	j	fuzz_filter
16:	/* what KVM hands to the VMM: vendor, experimental, legacy, DBCN */
	andi	t2, t1, 3
	srli	t1, t1, 2
	li	t0, 0xffffff
	and	t3, t1, t0
	li	s4, 0x09000000
	beqz	t2, 17f
	li	s4, 0x08000000
	li	t0, 1
	beq	t2, t0, 17f
	li	s4, SBI_EXT_DBCN
	li	t0, 3
	beq	t2, t0, fuzz_filter
	andi	s4, t1, 7		/* legacy 0..7 */
	j	fuzz_filter
17:	or	s4, s4, t3
fuzz_filter:
	li	t0, SBI_EXT_HSM
	bne	s4, t0, 1f
	li	t0, SBI_HSM_STOP
	beq	s5, t0, 2f
	li	t0, 3			/* hart_suspend */
	bne	s5, t0, 1f
2:	li	s5, SBI_HSM_STATUS
1:	li	t0, SBI_EXT_SRST
	beq	s4, t0, 3f
	li	t0, SBI_EXT_SUSP
	beq	s4, t0, 3f
	li	t0, VMT_EXT
	beq	s4, t0, 3f
	li	t0, 8			/* legacy shutdown */
	bne	s4, t0, fuzz_args
3:	li	s4, SBI_EXT_BASE
fuzz_args:
	jal	fuzz_arg
	mv	s6, t2
	jal	fuzz_arg
	mv	s7, t2
	jal	fuzz_arg
	mv	s8, t2
	jal	fuzz_arg
	mv	s9, t2
	jal	fuzz_arg
	mv	s10, t2
	jal	fuzz_arg
	mv	s11, t2
	mv	a0, s6
	mv	a1, s7
	mv	a2, s8
	mv	a3, s9
	mv	a4, s10
	mv	a5, s11
	mv	a6, s5
	mv	a7, s4
	ecall
	/* sbiret.error: an SBI error code, counted by its value */
	li	t0, -13
	blt	a0, t0, 4f
	bgtz	a0, 4f
	neg	t1, a0
	slli	t1, t1, 3
	li	t0, FUZZ_HIST
	add	t0, t0, t1
	ld	t1, 0(t0)
	addi	t1, t1, 1
	sd	t1, 0(t0)
	j	5f
4:	INC	R_FUZZ_BAD
	li	t0, RES(R_FUZZ_BAD_EXT)
	sd	s4, 0(t0)
	sd	s5, 8(t0)
	sd	a0, 16(t0)
5:	xor	s3, s3, s4
	slli	t0, s5, 32
	xor	s3, s3, t0
	xor	s3, s3, a0
	li	t0, 0x100000001b3
	mul	s3, s3, t0
	addi	s2, s2, 1
	j	fuzz_loop
fuzz_end:
	li	t0, RES(R_FUZZ_HASH)
	sd	s3, 0(t0)
	mv	a0, s2
	VMT	VMT_DONE
	j	halt

/* t2 = an argument: 0, 1, -1, small, scratch, scratch + odd, edge, random */
fuzz_arg:
	RNG	t1
	andi	t3, t1, 7
	srli	t1, t1, 3
	li	t2, 0
	beqz	t3, 9f
	li	t2, 1
	li	t0, 1
	beq	t3, t0, 9f
	li	t2, -1
	li	t0, 2
	beq	t3, t0, 9f
	andi	t2, t1, 63
	li	t0, 3
	beq	t3, t0, 9f
	li	t2, FUZZ_SCRATCH
	li	t0, 4
	beq	t3, t0, 9f
	li	t0, 0xfff
	and	t0, t1, t0
	add	t2, t2, t0
	li	t0, 5
	beq	t3, t0, 9f
	li	t2, GUEST_BASE + GUEST_SIZE - 0x40
	andi	t0, t1, 1
	beqz	t0, 1f
	li	t2, GUEST_MMIO
1:	li	t0, 6
	beq	t3, t0, 9f
	RNG	t2
9:	ret

/* A trap is counted and skipped: the VMM fails the run on any. */
	.balign	4
fuzz_trap:
	li	t4, RES(R_FUZZ_TRAPS)
	ld	t5, 0(t4)
	addi	t5, t5, 1
	sd	t5, 0(t4)
	csrr	t5, scause
	sd	t5, 8(t4)
	csrr	t5, sepc
	sd	t5, 16(t4)
	addi	t5, t5, 4
	csrw	sepc, t5
	sret

/*
 * inst-access: a0 = number of calls into GUEST_ACCESS.  Each fetch there
 * is an instruction access fault; the handler counts it (TRAP_COUNTS[1])
 * and returns to the caller.
 */
ifetch_entry:
	lla	t0, ifetch_trap
	csrw	stvec, t0
	mv	s0, a0
	li	s5, GUEST_ACCESS
1:	beqz	s0, 2f
	jalr	ra, 0(s5)
	addi	s0, s0, -1
	j	1b
2:	li	a0, 0
	VMT	VMT_DONE
	j	halt

	.balign	4
ifetch_trap:
	csrr	t6, scause
	li	t5, 1			/* instruction access fault */
	bne	t6, t5, unexpected_trap
	li	t5, TRAP_COUNTS + 8
	ld	t6, 0(t5)
	addi	t6, t6, 1
	sd	t6, 0(t5)
	csrw	sepc, ra
	sret

/*
 * mmio-sign: byte, half and word loads, signed, then an unsigned byte,
 * from GUEST_MMIO; the VMM answers each with its sign bit set.  The
 * values the loads gave go to R_MMIO_*.
 */
mmiosign_entry:
	DEFAULT_TRAP
	li	s1, GUEST_MMIO
	lb	s2, 0(s1)
	lh	s3, 0(s1)
	lw	s4, 0(s1)
	lbu	s5, 0(s1)
	li	t0, RES(R_MMIO_LB)
	sd	s2, 0(t0)
	sd	s3, 8(t0)
	sd	s4, 16(t0)
	sd	s5, 24(t0)
	li	a0, 0
	VMT	VMT_DONE
	j	halt

/*
 * timer-restore: a0 = spin iterations; then report sip (STIP: a timer
 * interrupt pending for the guest).  The guest never programs the timer:
 * what it sees is what the VMM restored.
 */
timer_entry:
	DEFAULT_TRAP
	mv	s0, a0
1:	beqz	s0, 2f
	addi	s0, s0, -1
	j	1b
2:	csrr	a0, sip
	VMT	VMT_DONE
	j	halt

/* hsm-status: HART_GET_STATUS of hart a0; done with sbiret (a0, a1). */
hsmstatus_entry:
	DEFAULT_TRAP
	li	a1, 0x5a5a
	SBI_CALL SBI_EXT_HSM, SBI_HSM_STATUS
	VMT	VMT_DONE
	j	halt

/*
 * imsic-direct: a0 = the GPA of the vCPU's IMSIC, a1 = N.  N 32-bit
 * stores of interrupt identity 1 to its seteipnum_le and N 32-bit loads
 * of it (no interrupt is enabled: the pending bit stays unseen); done.
 */
imsic_entry:
	DEFAULT_TRAP
	li	t1, 1
1:	beqz	a1, 2f
	sw	t1, 0(a0)
	lw	t2, 0(a0)
	addi	a1, a1, -1
	j	1b
2:	VMT	VMT_DONE
	j	halt

/* ipi-order: SBI IPI send_ipi(hart_mask a0, hart_mask_base a1); done with sbiret. */
ipi_entry:
	DEFAULT_TRAP
	SBI_CALL SBI_EXT_IPI, SBI_IPI_SEND
	VMT	VMT_DONE
	j	halt

	.globl	guest_code_end
guest_code_end:

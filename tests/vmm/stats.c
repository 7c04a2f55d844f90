// SPDX-License-Identifier: GPL-2.0
/*
 * exit-stats: traps KVM redirects to the guest (illegal instruction,
 * misaligned and access faults) must be counted in the vCPU stats, read
 * both through KVM_GET_STATS_FD and through debugfs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <unistd.h>

#include "kvmtest.h"

struct stats {
	int fd;
	struct kvm_stats_header h;
	size_t desc_size;
	char *desc;
};

static void stats_open(struct vm *vm, struct vcpu *v, struct stats *s)
{
	char *id;

	if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_BINARY_STATS_FD) <= 0)
		result_fail("KVM_CAP_BINARY_STATS_FD not supported");
	s->fd = ioctl(v->fd, KVM_GET_STATS_FD, NULL);
	if (s->fd < 0)
		result_fail("KVM_GET_STATS_FD on vCPU%d: %s", v->id, strerror(errno));
	if (pread(s->fd, &s->h, sizeof(s->h), 0) != sizeof(s->h))
		result_fail("reading the stats header: %s", strerror(errno));
	s->desc_size = sizeof(struct kvm_stats_desc) + s->h.name_size;
	s->desc = calloc(s->h.num_desc, s->desc_size);
	id = calloc(1, s->h.name_size + 1);
	if (!s->desc || !id)
		result_fail("out of memory");
	if (pread(s->fd, s->desc, s->h.num_desc * s->desc_size, s->h.desc_offset) !=
	    (ssize_t)(s->h.num_desc * s->desc_size))
		result_fail("reading %u stats descriptors: %s", s->h.num_desc,
			    strerror(errno));
	if (pread(s->fd, id, s->h.name_size, s->h.id_offset) < 0)
		result_fail("reading the stats id: %s", strerror(errno));
	note("stats fd: id '%s', %u descriptors, name size %u", id, s->h.num_desc,
	     s->h.name_size);
	free(id);
}

static const struct kvm_stats_desc *stats_desc(struct stats *s, unsigned int i)
{
	return (const struct kvm_stats_desc *)(s->desc + i * s->desc_size);
}

static const struct kvm_stats_desc *stats_find(struct stats *s, const char *name)
{
	unsigned int i;

	for (i = 0; i < s->h.num_desc; i++)
		if (!strncmp(stats_desc(s, i)->name, name, s->h.name_size))
			return stats_desc(s, i);
	return NULL;
}

/* First value of a stat; false if this module does not export it. */
static bool stats_read(struct stats *s, const char *name, uint64_t *val)
{
	const struct kvm_stats_desc *d = stats_find(s, name);

	if (!d)
		return false;
	if (pread(s->fd, val, sizeof(*val), s->h.data_offset + d->offset) != sizeof(*val))
		result_fail("reading stat %s: %s", name, strerror(errno));
	return true;
}

/* KVM's debugfs holds, per VM, the sum of each vCPU stat over its vCPUs. */
static bool debugfs_ready(void)
{
	if (!access("/sys/kernel/debug/kvm", F_OK))
		return true;
	if (mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL))
		note("debugfs: cannot mount on /sys/kernel/debug: %s", strerror(errno));
	return !access("/sys/kernel/debug/kvm", F_OK);
}

static bool debugfs_read(struct vm *vm, const char *name, uint64_t *val)
{
	char path[128];
	FILE *f;
	int n;

	snprintf(path, sizeof(path), "/sys/kernel/debug/kvm/%d-%d/%s", getpid(),
		 vm->fd, name);
	f = fopen(path, "r");
	if (!f)
		return false;
	n = fscanf(f, "%" SCNu64, val);
	fclose(f);
	return n == 1;
}

/*
 * Memslot 1: one page at GUEST_ACCESS backed by /dev/mem at HPA, a hole in
 * the host's physical map (QEMU's virt machine: 0x200000, between its RTC
 * and CLINT).  KVM maps such a VM_PFNMAP range as I/O; the hart raises an
 * access fault on every guest access to it, which KVM redirects.  No
 * PROT_EXEC: the host would flush the icache through a struct page the
 * hole does not have (Debian's 6.12.107 oopses in flush_icache_pte); KVM
 * gives the guest execute permission on its own G-stage fault.
 */
void map_hole(struct vm *vm, unsigned long hpa)
{
	struct kvm_userspace_memory_region region = {
		.slot = 1,
		.guest_phys_addr = GUEST_ACCESS,
		.memory_size = 0x1000,
	};
	void *p;
	int fd;

	fd = open("/dev/mem", O_RDWR | O_SYNC);
	if (fd < 0)
		result_fail("open /dev/mem: %s (needs CONFIG_DEVMEM and root)", strerror(errno));
	p = mmap(NULL, 0x1000, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)hpa);
	if (p == MAP_FAILED)
		result_fail("mmap of /dev/mem at 0x%lx: %s (not a hole, or STRICT_DEVMEM refuses it)",
			    hpa, strerror(errno));
	close(fd);
	region.userspace_addr = (uintptr_t)p;
	if (ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &region))
		result_fail("KVM_SET_USER_MEMORY_REGION of the hole page: %s", strerror(errno));
	note("access: guest 0x%x is host physical 0x%lx (no device: every access faults)",
	     GUEST_ACCESS, hpa);
}

enum {
	S_EXITS, S_ILLEGAL, S_LOAD_MISAL, S_STORE_MISAL, S_LOAD_ACCESS,
	S_STORE_ACCESS, S_NR
};

static const char *const stat_names[S_NR] = {
	"exits", "instr_illegal_exits", "load_misaligned_exits",
	"store_misaligned_exits", "load_access_exits", "store_access_exits",
};

int cmd_exit_stats(int argc, char **argv)
{
	unsigned long k = 5, m = 3, n = 4, kinds = MISAL_PLAIN | MISAL_ATOMIC;
	/*
	 * Newer kernels put EXC_INST_ILLEGAL in hedeleg: the hart then traps
	 * straight into the guest and KVM must count none.  The caller says
	 * so after reading KVM_HEDELEG_DEFAULT in the kernel's source.
	 */
	bool illegal_delegated = false;
	unsigned long via_kvm, acc_loads = 0, acc_stores = 0, hole = 0x200000;
	bool access = false;
	uint64_t before[S_NR], after[S_NR], dbg, g[16];
	bool have[S_NR], have_dbg;
	struct kvm_run *run;
	struct stats st;
	struct vcpu *v;
	struct vm vm;
	int i, nr = 0, nk;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--illegal-delegated")) {
			illegal_delegated = true;
		} else if (!strcmp(argv[i], "--access") && i + 2 < argc) {
			access = true;
			acc_loads = strtoul(argv[++i], NULL, 0);
			acc_stores = strtoul(argv[++i], NULL, 0);
		} else if (!strcmp(argv[i], "--hole") && i + 1 < argc) {
			hole = strtoul(argv[++i], NULL, 0);
		} else if (!strcmp(argv[i], "--kind") && i + 1 < argc) {
			i++;
			if (!strcmp(argv[i], "plain"))
				kinds = MISAL_PLAIN;
			else if (!strcmp(argv[i], "atomic"))
				kinds = MISAL_ATOMIC;
			else if (!strcmp(argv[i], "both"))
				kinds = MISAL_PLAIN | MISAL_ATOMIC;
			else
				result_fail("exit-stats: unknown --kind %s", argv[i]);
		} else if (nr == 0) {
			k = strtoul(argv[i], NULL, 0);
			nr++;
		} else if (nr == 1) {
			m = strtoul(argv[i], NULL, 0);
			nr++;
		} else if (nr == 2) {
			n = strtoul(argv[i], NULL, 0);
			nr++;
		} else {
			result_fail("exit-stats: usage: exit-stats [K M N] [--kind plain|atomic|both] [--illegal-delegated] [--access LOADS STORES [--hole HPA]]");
		}
	}

	vm_create(&vm, 1, false);
	v = &vm.vcpu[0];
	stats_open(&vm, v, &st);
	for (i = 0; i < S_NR; i++) {
		before[i] = 0;
		have[i] = stats_read(&st, stat_names[i], &before[i]);
	}
	/*
	 * Judged before the guest runs: a module without the counters may
	 * also lack the redirects they count (6.1: an illegal instruction
	 * then ends KVM_RUN with EFAULT).
	 */
	if (!have[S_ILLEGAL]) {
		note("exit-stats: this kvm.ko has no redirected-trap exit stats (upstream af79caa83f6a, v6.14)");
		result_absent("instr_illegal_exits");
	}

	if (access) {
		map_hole(&vm, hole);
		*(uint64_t *)gpa_ptr(&vm, RES(R_ACC_LOADS), 8) = acc_loads;
		*(uint64_t *)gpa_ptr(&vm, RES(R_ACC_STORES), 8) = acc_stores;
	}
	vcpu_enter(v, ENTRY_STATS, k, m, n, kinds);
	run = next_exit(v, "exit-stats");
	if (!is_vmt(run, VMT_DONE))
		result_fail("exit-stats: expected done, got exit %s",
			    exit_name(run->exit_reason));
	for (i = 0; i < 16; i++)
		g[i] = guest_u64(&vm, TRAP_COUNTS + 8 * i);

	note("exit-stats: guest executed %lu illegal instructions, %lu misaligned loads and %lu misaligned stores per kind (%s%s)",
	     k, m, n, kinds & MISAL_PLAIN ? "plain ld/sd " : "",
	     kinds & MISAL_ATOMIC ? "lr.w/amoadd.w" : "");
	note("exit-stats: guest trap handler saw: illegal %" PRIu64
	     ", load misaligned %" PRIu64 ", store misaligned %" PRIu64
	     ", load access %" PRIu64 ", store access %" PRIu64,
	     g[2], g[4], g[6], g[5], g[7]);

	have_dbg = debugfs_ready();
	if (!have_dbg)
		note("debugfs: /sys/kernel/debug/kvm not available; stats fd only");
	for (i = 0; i < S_NR; i++) {
		after[i] = 0;
		if (!have[i] || !stats_read(&st, stat_names[i], &after[i])) {
			note("stat %-24s not exported by this module", stat_names[i]);
			continue;
		}
		if (have_dbg && debugfs_read(&vm, stat_names[i], &dbg)) {
			note("stat %-24s stats fd %" PRIu64 " (delta %" PRIu64 "), debugfs %" PRIu64,
			     stat_names[i], after[i], after[i] - before[i], dbg);
			if (dbg != after[i])
				result_fail("exit-stats: %s: debugfs %" PRIu64 " != stats fd %" PRIu64,
					    stat_names[i], dbg, after[i]);
		} else {
			note("stat %-24s stats fd %" PRIu64 " (delta %" PRIu64 "), debugfs: no such file",
			     stat_names[i], after[i], after[i] - before[i]);
		}
	}

	nk = !!(kinds & MISAL_PLAIN) + !!(kinds & MISAL_ATOMIC);
	if (have[S_ILLEGAL]) {
		note("exit-stats: illegal instructions: %lu executed, %" PRIu64 " trapped to the guest, KVM counted %" PRIu64,
		     k, g[2], after[S_ILLEGAL] - before[S_ILLEGAL]);
		note("exit-stats: misaligned loads: %lu executed, %" PRIu64 " trapped to the guest, KVM counted %" PRIu64,
		     m * nk, g[4], after[S_LOAD_MISAL] - before[S_LOAD_MISAL]);
		note("exit-stats: misaligned stores: %lu executed, %" PRIu64 " trapped to the guest, KVM counted %" PRIu64,
		     n * nk, g[6], after[S_STORE_MISAL] - before[S_STORE_MISAL]);
	}
	if (g[2] != k)
		result_fail("exit-stats: the guest saw %" PRIu64 " illegal-instruction traps, expected %lu",
			    g[2], k);
	for (i = S_ILLEGAL; i < S_NR; i++)
		if (!have[i])
			result_fail("exit-stats: %s exported but %s is not",
				    stat_names[S_ILLEGAL], stat_names[i]);

	/*
	 * KVM does not delegate these causes to VS-mode (hedeleg), so every
	 * one the guest saw went through KVM, and KVM has nothing else to
	 * count here.  Whether a misaligned access traps at all is up to the
	 * hart (QEMU does plain ones in "hardware") and to M-mode firmware
	 * (OpenSBI emulates plain ones it gets), so compare with the guest.
	 */
	via_kvm = illegal_delegated ? 0 : k;
	if (illegal_delegated)
		note("exit-stats: illegal instructions are delegated to the guest (hedeleg): KVM must count 0");
	if (after[S_ILLEGAL] - before[S_ILLEGAL] != via_kvm)
		result_fail("exit-stats: instr_illegal_exits counted %" PRIu64 ", expected %lu",
			    after[S_ILLEGAL] - before[S_ILLEGAL], via_kvm);
	if (after[S_LOAD_MISAL] - before[S_LOAD_MISAL] != g[4])
		result_fail("exit-stats: load_misaligned_exits counted %" PRIu64 ", guest saw %" PRIu64,
			    after[S_LOAD_MISAL] - before[S_LOAD_MISAL], g[4]);
	if (after[S_STORE_MISAL] - before[S_STORE_MISAL] != g[6])
		result_fail("exit-stats: store_misaligned_exits counted %" PRIu64 ", guest saw %" PRIu64,
			    after[S_STORE_MISAL] - before[S_STORE_MISAL], g[6]);
	if (after[S_LOAD_ACCESS] - before[S_LOAD_ACCESS] != g[5])
		result_fail("exit-stats: load_access_exits counted %" PRIu64 ", guest saw %" PRIu64,
			    after[S_LOAD_ACCESS] - before[S_LOAD_ACCESS], g[5]);
	if (after[S_STORE_ACCESS] - before[S_STORE_ACCESS] != g[7])
		result_fail("exit-stats: store_access_exits counted %" PRIu64 ", guest saw %" PRIu64,
			    after[S_STORE_ACCESS] - before[S_STORE_ACCESS], g[7]);
	/* Access faults: the guest made exactly these, so the count is known. */
	if (access) {
		note("exit-stats: access faults: %lu loads and %lu stores at the hole, guest saw %" PRIu64 " and %" PRIu64 ", KVM counted %" PRIu64 " and %" PRIu64,
		     acc_loads, acc_stores, g[5], g[7], after[S_LOAD_ACCESS] - before[S_LOAD_ACCESS],
		     after[S_STORE_ACCESS] - before[S_STORE_ACCESS]);
		if (g[5] != acc_loads || g[7] != acc_stores)
			result_fail("exit-stats: the guest saw %" PRIu64 " load and %" PRIu64 " store access faults, expected %lu and %lu",
				    g[5], g[7], acc_loads, acc_stores);
	}
	if (after[S_EXITS] - before[S_EXITS] < via_kvm + g[4] + g[5] + g[6] + g[7])
		result_fail("exit-stats: exits grew by %" PRIu64 ", fewer than the traps counted",
			    after[S_EXITS] - before[S_EXITS]);
	if ((m && !g[4]) || (n && !g[6]))
		note("exit-stats: note: %s%snever trapped to the guest (done by the hart or emulated by M-mode firmware); KVM counted none, as it must",
		     m && !g[4] ? "misaligned loads " : "",
		     n && !g[6] ? "misaligned stores " : "");

	close(st.fd);
	free(st.desc);
	vm_close_fds(&vm);
	vm_free_mem(&vm);
	result_pass();
}

/*
 * inst-access [N]: N calls into the hole page; each fetch is an
 * instruction access fault, which KVM must hand to the guest (upstream
 * 51c58956732b) instead of failing KVM_RUN with EFAULT.
 */
int cmd_inst_access(int argc, char **argv)
{
	unsigned long n = 3, hole = 0x200000, seen;
	bool unbacked = false;
	struct kvm_run *run;
	struct vm vm;
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--hole") && i + 1 < argc)
			hole = strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--unbacked"))
			unbacked = true;
		else
			n = strtoul(argv[i], NULL, 0);
	}
	vm_create(&vm, 1, false);
	/* --unbacked: no memslot at all there (4d638dc09128), not a hole (51c58956732b). */
	if (unbacked)
		note("inst-access: guest 0x%x has no memslot", GUEST_ACCESS);
	else
		map_hole(&vm, hole);
	vcpu_enter(&vm.vcpu[0], ENTRY_IFETCH, n, 0, 0, 0);
	run = next_exit(&vm.vcpu[0], "inst-access");
	if (!is_vmt(run, VMT_DONE))
		result_fail("inst-access: expected done, got exit %s", exit_name(run->exit_reason));
	seen = guest_u64(&vm, TRAP_COUNTS + 8);
	note("inst-access: %lu calls into the hole, the guest's handler saw %lu instruction access faults",
	     n, seen);
	if (seen != n)
		result_fail("inst-access: the guest saw %lu instruction access faults, expected %lu", seen, n);
	vm_close_fds(&vm);
	vm_free_mem(&vm);
	result_pass();
}

/*
 * imsic-direct (9bca8be646e0): in the hardware-accelerated AIA modes KVM
 * maps the vCPU's IMSIC GPA onto a guest interrupt file of the host's
 * IMSIC.  The guest's accesses there must go straight to that file; with
 * the kernel PTE bits KVM used before the fix (U clear) each one takes a
 * G-stage fault and is emulated as an in-kernel MMIO access.
 */
#define IMSIC_GPA	0x28000000ULL

int cmd_imsic_direct(int argc, char **argv)
{
	uint64_t before, after, n = 16;
	struct kvm_run *run;
	struct stats st;
	struct vcpu *v;
	struct vm vm;
	__u32 mode;
	int dev;

	(void)argc; (void)argv;
	vm_create(&vm, 1, false);
	v = &vm.vcpu[0];
	dev = aia_create(&vm, "imsic-direct", IMSIC_GPA, &mode);
	note("imsic-direct: AIA irqchip mode %s, vCPU 0's IMSIC at 0x%llx", aia_mode_name(mode),
	     IMSIC_GPA);
	if (mode == 0)
		result_fail("imsic-direct: the AIA irqchip emulates the IMSIC: no guest interrupt file to map");

	stats_open(&vm, v, &st);
	if (!stats_read(&st, "mmio_exit_kernel", &before))
		result_fail("imsic-direct: no mmio_exit_kernel stat");
	vcpu_enter(v, ENTRY_IMSIC, IMSIC_GPA, n, 0, 0);
	run = next_exit(v, "imsic-direct");
	if (!is_vmt(run, VMT_DONE))
		result_fail("imsic-direct: expected done, got exit %s", exit_name(run->exit_reason));
	stats_read(&st, "mmio_exit_kernel", &after);
	note("imsic-direct: %llu stores and %llu loads on the IMSIC, %llu emulated by KVM",
	     (unsigned long long)n, (unsigned long long)n, (unsigned long long)(after - before));
	if (after != before)
		result_fail("imsic-direct: %llu of the guest's %llu accesses to its IMSIC file trapped to KVM and were emulated",
			    (unsigned long long)(after - before), (unsigned long long)(2 * n));
	close(st.fd);
	close(dev);
	vm_close_fds(&vm);
	vm_free_mem(&vm);
	result_pass();
}

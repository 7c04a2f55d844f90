// SPDX-License-Identifier: GPL-2.0
/*
 * kvmtest: a minimal KVM userspace for riscv64, to exercise kvm.ko.
 *
 *   kvmtest <scenario> [args]
 *
 * Prints evidence lines, then exactly one "RESULT: PASS", "RESULT: FAIL
 * <reason>" or "RESULT: ABSENT <what>" line (exit code 0, 1 or 3).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "kvmtest.h"

extern const char guest_code_start[], guest_code_end[];

/* Threads and SIGALRM may race to report: only the first one prints. */
static atomic_int result_done;

static __noreturn void
result(int code, const char *tag, const char *fmt, va_list *ap)
{
	if (atomic_exchange(&result_done, 1)) {
		/* Another thread is reporting; let it finish. */
		for (;;)
			pause();
	}
	fflush(stdout);
	printf("RESULT: %s", tag);
	if (fmt) {
		putchar(' ');
		vprintf(fmt, *ap);
	}
	putchar('\n');
	fflush(stdout);
	_exit(code);
}

void result_pass(void)
{
	result(0, "PASS", NULL, NULL);
}

void result_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	result(1, "FAIL", fmt, &ap);
}

void result_absent(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	result(3, "ABSENT", fmt, &ap);
}

void note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	flockfile(stdout);
	vprintf(fmt, ap);
	putchar('\n');
	funlockfile(stdout);
	va_end(ap);
}

static void on_alarm(int sig)
{
	static const char msg[] = "RESULT: FAIL timeout: the test hung (alarm)\n";

	(void)sig;
	if (atomic_exchange(&result_done, 1))
		return;
	if (write(STDOUT_FILENO, msg, sizeof(msg) - 1) < 0)
		_exit(2);
	_exit(1);
}

double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

void *gpa_ptr(struct vm *vm, uint64_t gpa, size_t len)
{
	if (gpa < GUEST_BASE || gpa + len > GUEST_BASE + GUEST_SIZE)
		result_fail("internal: GPA 0x%llx outside the memslot",
			    (unsigned long long)gpa);
	return vm->mem + (gpa - GUEST_BASE);
}

uint64_t guest_u64(struct vm *vm, uint64_t gpa)
{
	/* The guest writes it from another CPU: read it once, as a whole. */
	return __atomic_load_n((uint64_t *)gpa_ptr(vm, gpa, 8), __ATOMIC_ACQUIRE);
}

static int kvm_ioctl(int fd, unsigned long req, unsigned long arg)
{
	int r;

	do {
		r = ioctl(fd, req, arg);
	} while (r < 0 && errno == EINTR);
	return r;
}

/* The next vCPU (id = index), with its kvm_run mapped. */
/* The next vCPU, with the hart id (vcpu_id) ID. */
void vm_add_vcpu_id(struct vm *vm, int id)
{
	struct vcpu *v = &vm->vcpu[vm->nr_vcpus];

	if (vm->nr_vcpus >= MAX_VCPUS)
		result_fail("more than %d vCPUs", MAX_VCPUS);
	v->id = id;
	v->fd = kvm_ioctl(vm->fd, KVM_CREATE_VCPU, id);
	if (v->fd < 0)
		result_fail("KVM_CREATE_VCPU %d: %s", id, strerror(errno));
	v->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE,
		      MAP_SHARED, v->fd, 0);
	if (v->run == MAP_FAILED)
		result_fail("mmap kvm_run of vCPU%d: %s", id, strerror(errno));
	vm->nr_vcpus++;
}

void vm_add_vcpu(struct vm *vm)
{
	vm_add_vcpu_id(vm, vm->nr_vcpus);
}

void vm_create(struct vm *vm, int nr_vcpus, bool quiet)
{
	struct kvm_userspace_memory_region region;
	size_t code_size = guest_code_end - guest_code_start;
	int r, i;

	memset(vm, 0, sizeof(*vm));
	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0)
		result_fail("cannot open /dev/kvm: %s", strerror(errno));
	r = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
	if (r != KVM_API_VERSION)
		result_fail("KVM API version %d, expected %d", r, KVM_API_VERSION);
	vm->fd = kvm_ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->fd < 0)
		result_fail("KVM_CREATE_VM: %s", strerror(errno));

	vm->mem = mmap(NULL, GUEST_SIZE, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (vm->mem == MAP_FAILED)
		result_fail("mmap guest memory: %s", strerror(errno));
	memcpy(vm->mem, guest_code_start, code_size);

	region = (struct kvm_userspace_memory_region) {
		.slot = 0,
		.guest_phys_addr = GUEST_BASE,
		.memory_size = GUEST_SIZE,
		.userspace_addr = (uintptr_t)vm->mem,
	};
	if (kvm_ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, (unsigned long)&region))
		result_fail("KVM_SET_USER_MEMORY_REGION: %s", strerror(errno));

	r = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (r < (int)sizeof(struct kvm_run))
		result_fail("KVM_GET_VCPU_MMAP_SIZE: %d (%s)", r, strerror(errno));
	vm->run_size = r;

	for (i = 0; i < nr_vcpus; i++)
		vm_add_vcpu(vm);
	if (!quiet)
		note("vm: fd %d, memslot %d KiB at 0x%x, payload %zu bytes, %d vCPU(s)",
		     vm->fd, GUEST_SIZE >> 10, GUEST_BASE, code_size, nr_vcpus);
}

/*
 * Drop every reference to the VM: the kvm_run mappings pin the vCPU files,
 * so they go first.  The VM is destroyed when the last fd closes; guest
 * memory stays mapped so that callers can look at it afterwards.
 */
void vm_close_fds(struct vm *vm)
{
	int i;

	for (i = 0; i < vm->nr_vcpus; i++) {
		munmap(vm->vcpu[i].run, vm->run_size);
		close(vm->vcpu[i].fd);
	}
	vm->nr_vcpus = 0;
	close(vm->fd);
	close(vm->kvm_fd);
	vm->fd = vm->kvm_fd = -1;
}

void vm_free_mem(struct vm *vm)
{
	munmap(vm->mem, GUEST_SIZE);
	vm->mem = NULL;
}

void vcpu_set_reg(struct vcpu *v, uint64_t id, uint64_t val)
{
	struct kvm_one_reg reg = { .id = id, .addr = (uintptr_t)&val };

	if (kvm_ioctl(v->fd, KVM_SET_ONE_REG, (unsigned long)&reg))
		result_fail("KVM_SET_ONE_REG 0x%llx on vCPU%d: %s",
			    (unsigned long long)id, v->id, strerror(errno));
}

uint64_t vcpu_get_reg(struct vcpu *v, uint64_t id)
{
	uint64_t val = 0;
	struct kvm_one_reg reg = { .id = id, .addr = (uintptr_t)&val };

	if (kvm_ioctl(v->fd, KVM_GET_ONE_REG, (unsigned long)&reg))
		result_fail("KVM_GET_ONE_REG 0x%llx on vCPU%d: %s",
			    (unsigned long long)id, v->id, strerror(errno));
	return val;
}

void vcpu_enter(struct vcpu *v, unsigned int entry, uint64_t a0, uint64_t a1,
		uint64_t a2, uint64_t a3)
{
	vcpu_set_reg(v, CORE_REG(pc), GUEST_BASE + entry);
	vcpu_set_reg(v, CORE_REG(a0), a0);
	vcpu_set_reg(v, CORE_REG(a1), a1);
	vcpu_set_reg(v, CORE_REG(a2), a2);
	vcpu_set_reg(v, CORE_REG(a3), a3);
}

/* 0, or -errno (-EINTR when a signal kicked the thread out). */
int vcpu_run(struct vcpu *v)
{
	return ioctl(v->fd, KVM_RUN, 0) ? -errno : 0;
}

const char *exit_name(uint32_t reason)
{
	switch (reason) {
	case KVM_EXIT_UNKNOWN:		return "UNKNOWN";
	case KVM_EXIT_MMIO:		return "MMIO";
	case KVM_EXIT_INTR:		return "INTR";
	case KVM_EXIT_DEBUG:		return "DEBUG";
	case KVM_EXIT_SHUTDOWN:		return "SHUTDOWN";
	case KVM_EXIT_FAIL_ENTRY:	return "FAIL_ENTRY";
	case KVM_EXIT_INTERNAL_ERROR:	return "INTERNAL_ERROR";
	case KVM_EXIT_SYSTEM_EVENT:	return "SYSTEM_EVENT";
	case KVM_EXIT_RISCV_SBI:	return "RISCV_SBI";
	case KVM_EXIT_RISCV_CSR:	return "RISCV_CSR";
	default:			return "?";
	}
}

bool is_vmt(struct kvm_run *run, unsigned long fid)
{
	return run->exit_reason == KVM_EXIT_RISCV_SBI &&
	       run->riscv_sbi.extension_id == VMT_EXT &&
	       run->riscv_sbi.function_id == fid;
}

static const char *guest_fail_name(unsigned long code)
{
	switch (code) {
	case FAIL_PING:			return "ping answer mismatch";
	case FAIL_TRAP:			return "unexpected trap (a1 scause, a2 sepc)";
	case FAIL_BENCH:		return "bench: base probe_extension(BASE) failed (a1 value)";
	case FAIL_HSM_SELF:		return "hart_start(self) did not return ALREADY_AVAILABLE";
	case FAIL_HSM_INVALID:		return "hart_start(bad id) did not return INVALID_PARAM";
	case FAIL_HSM_STATUS_ERR:	return "hart_get_status failed (a1 error, a2 hart)";
	case FAIL_HSM_STATUS_VAL:	return "hart_get_status: invalid state (a1 state, a2 hart)";
	case FAIL_HSM_START:		return "hart_start: unexpected error (a1 error, a2 hart)";
	case FAIL_HSM_P1_NOT_STOPPED:	return "strict phase: hart not STOPPED before start (a1 error, a2 state)";
	case FAIL_HSM_P1_START:		return "strict phase: hart_start of a stopped hart failed (a1 error, a2 hart)";
	case FAIL_HSM_P1_NOT_ALIVE:	return "strict phase: started hart did not run (a1 hart, a2 round)";
	case FAIL_HSM_P1_RESTART:	return "strict phase: hart_start of a running hart did not return ALREADY_AVAILABLE (a1 error, a2 hart)";
	case FAIL_HSM_P1_NOT_STARTED:	return "strict phase: running hart not STARTED (a1 error, a2 state)";
	case FAIL_HSM_P1_NO_STOP:	return "strict phase: released hart did not stop (a1 state, a2 hart)";
	default:			return "?";
	}
}

/* A VMT_FAIL call from the guest ends the test. */
void check_guest_fail(struct vcpu *v, const char *what)
{
	struct kvm_run *run = v->run;

	if (!is_vmt(run, VMT_FAIL))
		return;
	result_fail("%s: guest on vCPU%d reports failure %lu (%s): a1=0x%lx (%ld) a2=0x%lx (%ld)",
		    what, v->id, run->riscv_sbi.args[0],
		    guest_fail_name(run->riscv_sbi.args[0]),
		    run->riscv_sbi.args[1], (long)run->riscv_sbi.args[1],
		    run->riscv_sbi.args[2], (long)run->riscv_sbi.args[2]);
}

/*
 * Run until the guest calls our SBI extension or does MMIO; anything else
 * (another SBI extension reaching userspace, a KVM_RUN error, ...) fails.
 * VMT calls get sbiret {0, 0} unless the caller changes it.
 */
struct kvm_run *next_exit(struct vcpu *v, const char *what)
{
	struct kvm_run *run = v->run;
	int r;

	for (;;) {
		r = vcpu_run(v);
		if (r == -EINTR)
			continue;
		if (r)
			result_fail("%s: KVM_RUN on vCPU%d failed: %s (errno %d)",
				    what, v->id, strerror(-r), -r);
		if (run->exit_reason == KVM_EXIT_MMIO)
			return run;
		if (run->exit_reason == KVM_EXIT_RISCV_SBI &&
		    run->riscv_sbi.extension_id == VMT_EXT) {
			check_guest_fail(v, what);
			run->riscv_sbi.ret[0] = 0;
			run->riscv_sbi.ret[1] = 0;
			return run;
		}
		if (run->exit_reason == KVM_EXIT_RISCV_SBI)
			result_fail("%s: SBI call ext 0x%lx fid %lu reached userspace (args 0x%lx 0x%lx 0x%lx)",
				    what, run->riscv_sbi.extension_id,
				    run->riscv_sbi.function_id, run->riscv_sbi.args[0],
				    run->riscv_sbi.args[1], run->riscv_sbi.args[2]);
		result_fail("%s: unexpected exit %u (%s) on vCPU%d, pc 0x%llx",
			    what, run->exit_reason, exit_name(run->exit_reason), v->id,
			    (unsigned long long)vcpu_get_reg(v, CORE_REG(pc)));
	}
}

/* Pings, an MMIO store and load, done.  Returns round trips per second. */
static double run_smoke(struct vm *vm, unsigned long pings, bool quiet)
{
	struct vcpu *v = &vm->vcpu[0];
	struct kvm_run *run;
	uint64_t val;
	double t0, t1;
	unsigned long i;

	vcpu_enter(v, ENTRY_SMOKE, pings, GUEST_MMIO, 0, 0);
	t0 = now();
	for (i = 0; i < pings; i++) {
		run = next_exit(v, "smoke");
		if (!is_vmt(run, VMT_PING) || run->riscv_sbi.args[0] != i ||
		    run->riscv_sbi.args[1] != PING_MAGIC)
			result_fail("smoke: ping %lu: got exit %s fid %lu args 0x%lx 0x%lx",
				    i, exit_name(run->exit_reason),
				    run->riscv_sbi.function_id, run->riscv_sbi.args[0],
				    run->riscv_sbi.args[1]);
		run->riscv_sbi.ret[1] = i ^ PING_XOR;
	}
	t1 = now();

	run = next_exit(v, "smoke");
	memcpy(&val, run->mmio.data, sizeof(val));
	if (run->exit_reason != KVM_EXIT_MMIO || !run->mmio.is_write ||
	    run->mmio.phys_addr != GUEST_MMIO || run->mmio.len != 8 ||
	    val != MMIO_STORE_VAL)
		result_fail("smoke: expected an 8-byte MMIO store of 0x%llx at 0x%x, got exit %s write %d addr 0x%llx len %u data 0x%llx",
			    (unsigned long long)MMIO_STORE_VAL, GUEST_MMIO,
			    exit_name(run->exit_reason), run->mmio.is_write,
			    (unsigned long long)run->mmio.phys_addr, run->mmio.len,
			    (unsigned long long)val);

	run = next_exit(v, "smoke");
	if (run->exit_reason != KVM_EXIT_MMIO || run->mmio.is_write ||
	    run->mmio.phys_addr != GUEST_MMIO + 8 || run->mmio.len != 8)
		result_fail("smoke: expected an 8-byte MMIO load at 0x%x, got exit %s write %d addr 0x%llx len %u",
			    GUEST_MMIO + 8, exit_name(run->exit_reason),
			    run->mmio.is_write, (unsigned long long)run->mmio.phys_addr,
			    run->mmio.len);
	val = MMIO_LOAD_VAL;
	memcpy(run->mmio.data, &val, sizeof(val));

	run = next_exit(v, "smoke");
	if (!is_vmt(run, VMT_DONE))
		result_fail("smoke: expected done, got exit %s fid %lu",
			    exit_name(run->exit_reason), run->riscv_sbi.function_id);
	if (run->riscv_sbi.args[0] != MMIO_LOAD_VAL)
		result_fail("smoke: guest loaded 0x%lx from MMIO, VMM supplied 0x%llx",
			    run->riscv_sbi.args[0], (unsigned long long)MMIO_LOAD_VAL);
	if (!quiet) {
		note("smoke: %lu SBI round trips (vendor ext 0x%x -> KVM_EXIT_RISCV_SBI) checked",
		     pings, VMT_EXT);
		note("smoke: MMIO store 0x%llx at 0x%x and load 0x%llx at 0x%x checked",
		     (unsigned long long)MMIO_STORE_VAL, GUEST_MMIO,
		     (unsigned long long)MMIO_LOAD_VAL, GUEST_MMIO + 8);
	}
	return t1 > t0 ? pings / (t1 - t0) : 0;
}

int cmd_smoke(int argc, char **argv)
{
	unsigned long pings = argc > 1 ? strtoul(argv[1], NULL, 0) : 1000;
	struct vm vm;
	double rate;

	vm_create(&vm, 1, false);
	rate = run_smoke(&vm, pings, false);
	note("smoke: %.0f round trips/s", rate);
	vm_close_fds(&vm);
	vm_free_mem(&vm);
	result_pass();
}

int cmd_teardown(int argc, char **argv)
{
	unsigned long rounds = argc > 1 ? strtoul(argv[1], NULL, 0) : 1;
	unsigned long i;
	struct vm vm;

	for (i = 0; i < rounds; i++) {
		vm_create(&vm, 1, i > 0);
		run_smoke(&vm, 100, true);
		vm_close_fds(&vm);
		vm_free_mem(&vm);
	}
	note("teardown-vm: %lu VM(s) created, run (100 SBI exits + MMIO) and destroyed",
	     rounds);
	result_pass();
}

/*
 * vms N VCPUS: N VMs of VCPUS vCPUs created, run and destroyed in turn;
 * in every fourth, vCPU 0 arms the PMU snapshot area and the VM is
 * destroyed with it armed, the others run SBI round trips.
 */
int cmd_vms(int argc, char **argv)
{
	unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 0) : 0, i, armed = 0;
	int vcpus = argc > 2 ? atoi(argv[2]) : 1;
	struct kvm_run *run;
	struct vm vm;

	if (!n || vcpus < 1 || vcpus > MAX_VCPUS)
		result_fail("usage: vms N VCPUS (1..%d)", MAX_VCPUS);
	alarm((unsigned int)n * 2 + 60);
	for (i = 0; i < n; i++) {
		vm_create(&vm, vcpus, true);
		if (i % 4 == 0) {
			vcpu_enter(&vm.vcpu[0], ENTRY_ARMSNAP, 0, 0, 0, 0);
			run = next_exit(&vm.vcpu[0], "vms");
			if (!is_vmt(run, VMT_DONE))
				result_fail("vms: VM %lu: unexpected exit %s", i, exit_name(run->exit_reason));
			if (run->riscv_sbi.args[0] == 0)
				armed++;
			else if (run->riscv_sbi.args[0] != 1)
				result_fail("vms: VM %lu: snapshot set_shmem failed: %ld", i,
					    (long)run->riscv_sbi.args[0]);
		} else {
			run_smoke(&vm, 10, true);
		}
		vm_close_fds(&vm);
		vm_free_mem(&vm);
	}
	note("vms: %lu VM(s) of %d vCPU(s) created, run and destroyed, %lu with the PMU snapshot armed",
	     n, vcpus, armed);
	result_pass();
}

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *usage;
} cmds[] = {
	{ "smoke", cmd_smoke, "[PINGS]" },
	{ "exit-stats", cmd_exit_stats, "[K M N] [--kind plain|atomic|both] [--access LOADS STORES [--hole HPA]]" },
	{ "inst-access", cmd_inst_access, "[N] [--hole HPA | --unbacked]" },
	{ "mmio-sign", cmd_mmio_sign, "" },
	{ "sta-align", cmd_sta_align, "" },
	{ "sta-hva", cmd_sta_hva, "" },
	{ "timer-restore", cmd_timer_restore, "[SPINS]" },
	{ "hugetlb-slot", cmd_hugetlb_slot, "" },
	{ "hsm-status", cmd_hsm_status, "" },
	{ "ipi-order", cmd_ipi_order, "" },
	{ "onereg", cmd_onereg, "" },
	{ "imsic-direct", cmd_imsic_direct, "" },
	{ "perf-fail", cmd_perf_fail, "" },
	{ "snapshot", cmd_snapshot, "[--allow-absent] [--no-close]" },
	{ "snapshot-edge", cmd_snapshot_edge, "" },
	{ "pmu-mask", cmd_pmu_mask, "" },
	{ "snapshot-reinstall", cmd_snapshot_reinstall, "" },
	{ "pmu-oob", cmd_pmu_oob, "" },
	{ "aia-late-vcpu", cmd_aia_late_vcpu, "" },
	{ "hsm", cmd_hsm, "[SECONDS]" },
	{ "teardown-vm", cmd_teardown, "[ROUNDS]" },
	{ "bench", cmd_bench, "ping|probe|illegal N" },
	{ "vms", cmd_vms, "N VCPUS" },
	{ "fuzz", cmd_fuzz, "N [SEED]" },
};

int main(int argc, char **argv)
{
	size_t i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGALRM, on_alarm);
	/* Scenarios that may run longer set their own. */
	alarm(120);

	if (argc < 2) {
		fprintf(stderr, "usage: %s <scenario> [args]\n", argv[0]);
		for (i = 0; i < ARRAY_SIZE(cmds); i++)
			fprintf(stderr, "  %s %s\n", cmds[i].name, cmds[i].usage);
		return 2;
	}
	for (i = 0; i < ARRAY_SIZE(cmds); i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].fn(argc - 1, argv + 1);
	result_fail("unknown scenario '%s'", argv[1]);
}

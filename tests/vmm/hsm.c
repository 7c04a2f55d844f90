// SPDX-License-Identifier: GPL-2.0
/*
 * hsm: vCPU0 storms SBI HSM hart_start / hart_get_status on vCPUs 1-3
 * (which run a few instructions and hart_stop), while VMM threads call
 * KVM_GET_MP_STATE / KVM_SET_MP_STATE on those vCPUs.  Every vCPU runs
 * KVM_RUN on its own thread.
 *
 * A VM thread meanwhile takes kvm->lock over and over (KVM_CREATE_VCPU of
 * an id that exists, KVM_CREATE_DEVICE of the AIA irqchip, and now and
 * then a second VM whose AIA irqchip it initialises): before
 * 2121cadec45a hart_start took kvm->lock inside vcpu->mutex and kvm->srcu,
 * the inversion a lockdep kernel is asked to see.
 *
 * A vCPU ioctl waits for the vCPU's mutex, which KVM_RUN holds, so the
 * mp_state threads only get in while their vCPU is out of KVM_RUN: a
 * kicker thread signals vCPUs 1-3 often to make that happen.  vCPU0's
 * HSM calls reach vCPUs 1-3 without their mutex; that is the race.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kvmtest.h"

#define NR_HARTS	4

static struct vm vm;
static double t_start, duration;
static atomic_int phase = 1, stop, kick_stop, runners_done;
static atomic_ulong vm_locks, vm_devs, vm_inits, kicks[NR_HARTS], eintrs[NR_HARTS], gets[NR_HARTS],
		    sets[NR_HARTS], seen_runnable[NR_HARTS], seen_stopped[NR_HARTS];
static unsigned long rounds_done;
static pthread_t runner[NR_HARTS], poker[NR_HARTS], kicker, vmlock;

static void on_kick(int sig)
{
	(void)sig;
}

/* vCPU0: answers the round question; 1/3 strict, then racy, then stop. */
static void *boot_runner(void *arg)
{
	struct vcpu *v = &vm.vcpu[0];
	unsigned long racy = 0;
	struct kvm_run *run;
	double t;

	(void)arg;
	for (;;) {
		run = next_exit(v, "hsm");
		if (is_vmt(run, VMT_DONE)) {
			rounds_done = run->riscv_sbi.args[0];
			break;
		}
		if (!is_vmt(run, VMT_SYNC) || run->riscv_sbi.args[0] != SYNC_HSM_ROUND)
			result_fail("hsm: vCPU0: unexpected exit %s fid %lu",
				    exit_name(run->exit_reason),
				    run->riscv_sbi.function_id);
		t = now() - t_start;
		/* At least one round of each phase, even on a slow host. */
		if (run->riscv_sbi.args[1] == 1 || (!racy && t < duration / 3))
			run->riscv_sbi.ret[1] = 1;
		else if (racy && t >= duration)
			run->riscv_sbi.ret[1] = 0;
		else
			run->riscv_sbi.ret[1] = 2;
		/* Published before the guest can act on it. */
		if (run->riscv_sbi.ret[1] == 2) {
			atomic_store(&phase, 2);
			racy++;
		}
	}
	atomic_store(&stop, 1);
	return NULL;
}

/* vCPUs 1-3: only ever leave KVM_RUN when kicked. */
static void *secondary_runner(void *arg)
{
	struct vcpu *v = arg;
	int r;

	while (!atomic_load(&stop)) {
		r = vcpu_run(v);
		if (r == -EINTR) {
			eintrs[v->id]++;
			/* Let the mp_state thread take the vCPU mutex. */
			sched_yield();
			continue;
		}
		if (r)
			result_fail("hsm: KVM_RUN on vCPU%d failed: %s", v->id,
				    strerror(-r));
		check_guest_fail(v, "hsm");
		result_fail("hsm: vCPU%d: unexpected exit %u (%s)", v->id,
			    v->run->exit_reason, exit_name(v->run->exit_reason));
	}
	/* Still joinable, so the kicker may signal it until it stops. */
	atomic_fetch_add(&runners_done, 1);
	return NULL;
}

static void *mp_state_thread(void *arg)
{
	struct vcpu *v = arg;
	struct kvm_mp_state mp;

	while (!atomic_load(&stop)) {
		if (ioctl(v->fd, KVM_GET_MP_STATE, &mp)) {
			if (errno == EINTR)
				continue;
			result_fail("hsm: KVM_GET_MP_STATE on vCPU%d: %s", v->id,
				    strerror(errno));
		}
		gets[v->id]++;
		if (mp.mp_state == KVM_MP_STATE_RUNNABLE)
			seen_runnable[v->id]++;
		else if (mp.mp_state == KVM_MP_STATE_STOPPED)
			seen_stopped[v->id]++;
		else
			result_fail("hsm: vCPU%d: KVM_GET_MP_STATE returned %u",
				    v->id, mp.mp_state);
		/*
		 * Write back what was read: between the two calls vCPU0 may
		 * have started or the hart stopped itself, which is the race.
		 */
		if (atomic_load(&phase) != 2)
			continue;
		if (ioctl(v->fd, KVM_SET_MP_STATE, &mp)) {
			if (errno == EINTR)
				continue;
			result_fail("hsm: KVM_SET_MP_STATE(%u) on vCPU%d: %s",
				    mp.mp_state, v->id, strerror(errno));
		}
		sets[v->id]++;
	}
	return NULL;
}

static int aia_attr(int dev, __u32 group, __u64 attr, void *val)
{
	struct kvm_device_attr a = {
		.group = group, .attr = attr, .addr = (__u64)(unsigned long)val,
	};

	return ioctl(dev, KVM_SET_DEVICE_ATTR, &a);
}

/*
 * A second VM with an initialised AIA irqchip: KVM_SET_DEVICE_ATTR(INIT)
 * holds kvm->lock while the APLIC's MMIO device is registered under
 * slots_lock, which waits for kvm->srcu readers (kvm->lock -> slots_lock
 * -> srcu).  Lock classes are global: the dependency lockdep records here
 * is the one hart_start inverts.  Kernels without the AIA device (6.1)
 * answer ENODEV.
 */
static void aia_vm(void)
{
	struct kvm_create_device dev = { .type = KVM_DEV_TYPE_RISCV_AIA };
	__u32 srcs = 1, ids = 63;
	__u64 aplic = 0xc000000;
	int fd;

	fd = ioctl(vm.kvm_fd, KVM_CREATE_VM, 0);
	if (fd < 0)
		result_fail("hsm: KVM_CREATE_VM: %s", strerror(errno));
	if (ioctl(fd, KVM_CREATE_DEVICE, &dev)) {
		if (errno != ENODEV)
			result_fail("hsm: KVM_CREATE_DEVICE(AIA) on a new VM: %s", strerror(errno));
	} else {
		if (aia_attr(dev.fd, KVM_DEV_RISCV_AIA_GRP_CONFIG, KVM_DEV_RISCV_AIA_CONFIG_IDS, &ids) ||
		    aia_attr(dev.fd, KVM_DEV_RISCV_AIA_GRP_CONFIG, KVM_DEV_RISCV_AIA_CONFIG_SRCS, &srcs) ||
		    aia_attr(dev.fd, KVM_DEV_RISCV_AIA_GRP_ADDR, KVM_DEV_RISCV_AIA_ADDR_APLIC, &aplic) ||
		    aia_attr(dev.fd, KVM_DEV_RISCV_AIA_GRP_CTRL, KVM_DEV_RISCV_AIA_CTRL_INIT, NULL))
			result_fail("hsm: AIA irqchip set-up on a new VM: %s", strerror(errno));
		vm_inits++;
		close(dev.fd);
	}
	close(fd);
}

/* VM ioctls that take kvm->lock, each answered as KVM must answer it. */
static void *vm_lock_thread(void *arg)
{
	struct kvm_create_device dev = { .type = KVM_DEV_TYPE_RISCV_AIA };
	int fd;

	(void)arg;
	while (!atomic_load(&stop)) {
		if (vm_locks % 64 == 0)
			aia_vm();
		fd = ioctl(vm.fd, KVM_CREATE_VCPU, 0);
		if (fd >= 0 || errno != EEXIST)
			result_fail("hsm: KVM_CREATE_VCPU of an existing id: %s",
				    fd >= 0 ? "succeeded" : strerror(errno));
		vm_locks++;
		/* Made once; then EEXIST (or EBUSY: vCPUs hold their mutex). */
		dev.fd = -1;
		if (!ioctl(vm.fd, KVM_CREATE_DEVICE, &dev))
			vm_devs++;
		else if (errno != EEXIST && errno != EBUSY && errno != ENODEV)
			result_fail("hsm: KVM_CREATE_DEVICE(AIA): %s", strerror(errno));
		usleep(200);
	}
	return NULL;
}

static void *kick_thread(void *arg)
{
	int i;

	(void)arg;
	while (!atomic_load(&kick_stop)) {
		for (i = 1; i < NR_HARTS; i++) {
			pthread_kill(runner[i], SIGUSR1);
			kicks[i]++;
		}
		usleep(500);
	}
	return NULL;
}

static void start_thread(pthread_t *t, void *(*fn)(void *), void *arg)
{
	int r = pthread_create(t, NULL, fn, arg);

	if (r)
		result_fail("hsm: pthread_create: %s", strerror(r));
}

int cmd_hsm(int argc, char **argv)
{
	uint64_t freq, long_tmo, short_tmo;
	struct sigaction sa = {};
	unsigned long p1, total_sets = 0;
	int i;

	duration = argc > 1 ? strtod(argv[1], NULL) : 5;
	if (duration <= 0 || duration > 3600)
		result_fail("hsm: bad duration '%s'", argv[1]);
	alarm((unsigned int)(duration * 2) + 60);

	/* No SA_RESTART: the kick must end KVM_RUN with EINTR. */
	sa.sa_handler = on_kick;
	sigaction(SIGUSR1, &sa, NULL);

	vm_create(&vm, NR_HARTS, false);
	freq = vcpu_get_reg(&vm.vcpu[0], TIMER_REG(frequency));
	if (!freq)
		result_fail("hsm: timer frequency is 0");
	long_tmo = freq * 5;
	short_tmo = freq / 20;
	*(uint64_t *)gpa_ptr(&vm, RES(R_HSM_TMO), 8) = long_tmo;
	note("hsm: %d vCPUs, timebase %llu Hz, %.1f s (first third strict, then racy with KVM_SET_MP_STATE)",
	     NR_HARTS, (unsigned long long)freq, duration);

	vcpu_enter(&vm.vcpu[0], ENTRY_HSM, NR_HARTS, long_tmo, short_tmo, 0);
	for (i = 1; i < NR_HARTS; i++) {
		/* Powered off by KVM at creation; parked if ever made runnable. */
		vcpu_set_reg(&vm.vcpu[i], CORE_REG(pc), GUEST_BASE + ENTRY_HSM_PARK);
		vcpu_set_reg(&vm.vcpu[i], CORE_REG(s0), i);
	}

	t_start = now();
	start_thread(&runner[0], boot_runner, NULL);
	for (i = 1; i < NR_HARTS; i++)
		start_thread(&runner[i], secondary_runner, &vm.vcpu[i]);
	for (i = 1; i < NR_HARTS; i++)
		start_thread(&poker[i], mp_state_thread, &vm.vcpu[i]);
	start_thread(&kicker, kick_thread, NULL);
	start_thread(&vmlock, vm_lock_thread, NULL);

	pthread_join(runner[0], NULL);
	pthread_join(vmlock, NULL);
	/*
	 * The kicker gets vCPUs 1-3 out of KVM_RUN, which lets the mp_state
	 * threads finish too; it must stop before any runner is joined.
	 */
	for (i = 1; i < NR_HARTS; i++)
		pthread_join(poker[i], NULL);
	while (atomic_load(&runners_done) < NR_HARTS - 1)
		usleep(1000);
	atomic_store(&kick_stop, 1);
	pthread_join(kicker, NULL);
	for (i = 1; i < NR_HARTS; i++)
		pthread_join(runner[i], NULL);

	p1 = guest_u64(&vm, RES(R_HSM_P1_ROUNDS));
	note("hsm: %.2f s, guest done after round %lu: %lu rounds (%lu strict, %llu racy)",
	     now() - t_start, rounds_done,
	     (unsigned long)guest_u64(&vm, RES(R_HSM_ROUNDS)), p1,
	     (unsigned long long)(guest_u64(&vm, RES(R_HSM_ROUNDS)) - p1));
	note("hsm: hart_start: %llu ok, %llu ALREADY_AVAILABLE; %llu starts lost (hart never ran)",
	     (unsigned long long)guest_u64(&vm, RES(R_HSM_START_OK)),
	     (unsigned long long)guest_u64(&vm, RES(R_HSM_START_BUSY)),
	     (unsigned long long)guest_u64(&vm, RES(R_HSM_LOST)));
	note("hsm: hart_get_status: %llu STARTED, %llu STOPPED, %llu SUSPENDED",
	     (unsigned long long)guest_u64(&vm, RES(R_HSM_ST_STARTED)),
	     (unsigned long long)guest_u64(&vm, RES(R_HSM_ST_STOPPED)),
	     (unsigned long long)guest_u64(&vm, RES(R_HSM_ST_SUSPENDED)));
	note("hsm: VM thread: %lu KVM_CREATE_VCPU (EEXIST), AIA device made %lu time(s), %lu VM(s) with an initialised AIA irqchip",
	     vm_locks, vm_devs, vm_inits);
	for (i = 1; i < NR_HARTS; i++) {
		note("hsm: vCPU%d: %lu kicks, %lu EINTR, GET_MP_STATE %lu (%lu runnable, %lu stopped), SET_MP_STATE %lu",
		     i, kicks[i], eintrs[i], gets[i], seen_runnable[i],
		     seen_stopped[i], sets[i]);
		note("hsm: vCPU%d guest: last round %llu, spin timeouts %llu, resumed after stop %llu, stop failures %llu",
		     i, (unsigned long long)guest_u64(&vm, HSM_ALIVE + 8 * i),
		     (unsigned long long)guest_u64(&vm, HSM_SEC_TIMEOUT + 8 * i),
		     (unsigned long long)guest_u64(&vm, HSM_SEC_RESUMED + 8 * i),
		     (unsigned long long)guest_u64(&vm, HSM_SEC_STOPFAIL + 8 * i));
		total_sets += sets[i];
	}

	if (!p1)
		result_fail("hsm: no strict round ran");
	if (!vm_locks)
		result_fail("hsm: the VM thread never took kvm->lock");
	if (guest_u64(&vm, RES(R_HSM_ROUNDS)) == p1 || !total_sets)
		result_fail("hsm: the racy phase did not run (more SECONDS?)");
	vm_close_fds(&vm);
	vm_free_mem(&vm);
	result_pass();
}

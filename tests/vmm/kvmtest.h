/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KVMTEST_H
#define KVMTEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/kvm.h>

#include "guest.h"

/* linux-libc-dev is 6.12 uapi; these exist there but keep older ones working. */
#ifndef KVM_EXIT_RISCV_SBI
#define KVM_EXIT_RISCV_SBI	35
#endif
#ifndef KVM_CAP_BINARY_STATS_FD
#define KVM_CAP_BINARY_STATS_FD	203
#endif
#ifndef KVM_GET_STATS_FD
#define KVM_GET_STATS_FD	_IO(KVMIO, 0xce)
#endif

#define MAX_VCPUS	4

#define __noreturn	__attribute__((noreturn))
#define __printf(a, b)	__attribute__((format(printf, a, b)))
#define ARRAY_SIZE(x)	(sizeof(x) / sizeof((x)[0]))

#define CORE_REG(name)	(KVM_REG_RISCV | KVM_REG_SIZE_U64 | KVM_REG_RISCV_CORE | \
			 KVM_REG_RISCV_CORE_REG(regs.name))
#define TIMER_REG(name)	(KVM_REG_RISCV | KVM_REG_SIZE_U64 | KVM_REG_RISCV_TIMER | \
			 KVM_REG_RISCV_TIMER_REG(name))

struct vcpu {
	int fd;
	int id;
	struct kvm_run *run;
};

struct vm {
	int kvm_fd;
	int fd;
	uint8_t *mem;
	size_t run_size;
	int nr_vcpus;
	struct vcpu vcpu[MAX_VCPUS];
};

/* Result lines: exactly one per run; exit codes 0 / 1 / 3. */
__noreturn void result_pass(void);
__noreturn __printf(1, 2) void result_fail(const char *fmt, ...);
__noreturn __printf(1, 2) void result_absent(const char *fmt, ...);
__printf(1, 2) void note(const char *fmt, ...);
double now(void);

void vm_create(struct vm *vm, int nr_vcpus, bool quiet);
void vm_add_vcpu(struct vm *vm);
void vm_add_vcpu_id(struct vm *vm, int id);
int aia_create(struct vm *vm, const char *who, uint64_t imsic_gpa, __u32 *mode);
const char *aia_mode_name(__u32 mode);
void vm_close_fds(struct vm *vm);
void vm_free_mem(struct vm *vm);
void *gpa_ptr(struct vm *vm, uint64_t gpa, size_t len);
uint64_t guest_u64(struct vm *vm, uint64_t gpa);

void vcpu_set_reg(struct vcpu *v, uint64_t id, uint64_t val);
uint64_t vcpu_get_reg(struct vcpu *v, uint64_t id);
void vcpu_enter(struct vcpu *v, unsigned int entry, uint64_t a0, uint64_t a1,
		uint64_t a2, uint64_t a3);
int vcpu_run(struct vcpu *v);
const char *exit_name(uint32_t reason);
struct kvm_run *next_exit(struct vcpu *v, const char *what);
bool is_vmt(struct kvm_run *run, unsigned long fid);
void check_guest_fail(struct vcpu *v, const char *what);

int cmd_smoke(int argc, char **argv);
int cmd_teardown(int argc, char **argv);
int cmd_exit_stats(int argc, char **argv);
int cmd_perf_fail(int argc, char **argv);
int cmd_snapshot(int argc, char **argv);
int cmd_snapshot_edge(int argc, char **argv);
int cmd_pmu_mask(int argc, char **argv);
int cmd_hsm(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_snapshot_reinstall(int argc, char **argv);
int cmd_pmu_oob(int argc, char **argv);
int cmd_aia_late_vcpu(int argc, char **argv);
int cmd_fuzz(int argc, char **argv);
int cmd_inst_access(int argc, char **argv);
int cmd_mmio_sign(int argc, char **argv);
int cmd_sta_align(int argc, char **argv);
int cmd_sta_hva(int argc, char **argv);
int cmd_timer_restore(int argc, char **argv);
int cmd_hugetlb_slot(int argc, char **argv);
int cmd_hsm_status(int argc, char **argv);
int cmd_ipi_order(int argc, char **argv);
int cmd_onereg(int argc, char **argv);
int cmd_imsic_direct(int argc, char **argv);
void map_hole(struct vm *vm, unsigned long hpa);

#endif

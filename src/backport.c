// SPDX-License-Identifier: GPL-2.0
/*
 * kvm-riscv: identity of the backported kvm.ko and compile-time guards.
 *
 * info.h and offsets-check.h are generated per kernel by
 * src/kvm-riscv-build.
 */

#include <linux/build_bug.h>
#include <linux/kvm_host.h>
#include <linux/module.h>
#include <linux/stddef.h>
#include <asm/asm-offsets.h>

#include "info.h"

MODULE_VERSION(KVM_RISCV_VERSION);
/* One "<upstream id>=<upstream|applied|not-applicable>" per fix. */
MODULE_INFO(kvm_riscv_fixes, KVM_RISCV_FIXES);
MODULE_INFO(kvm_riscv_source, KVM_RISCV_SOURCE);

/*
 * vcpu_switch.S addresses struct kvm_vcpu_arch through the offsets in the
 * headers' prebuilt asm-offsets.h.  A patched header that moved any of them
 * would corrupt guest state at run time; stop the build instead.
 */
#include "offsets-check.h"

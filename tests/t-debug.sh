#!/bin/bash
# The debug bed (make check-debug): test kernels with lockdep, KASAN and
# kmemleak built from Debian's linux-source (scripts/debug-kernel), a 6.12
# of the test kernel's point release and a 6.1 (the LTS line Debian ships
# no riscv64 kernel of).  Their own kvm.ko is the stock module.
#
# Proves what Debian's kernels cannot show: fix 3's lock inversion (lockdep
# on the control, none on ours; 6.1's lockdep cannot see it), 310e2096b082's
# double free (KASAN on stock and the control), no KASAN or kmemleak report
# after teardown and snapshot on 6.12, and the 6.1 series: every fix state
# decided from 6.1's source, and exit counters absent on stock, exact on ours.
. "$(dirname "$0")/lib.sh"

DK=$KR_TOP/scripts/debug-kernel
sv612=${T_KVER_612%%[-+]*}
k612=$sv612-kvmdebug
# The 6.1 line: the archive's newest linux-source-6.1.
kr_apt_setup
sv61=$(kr_candidate linux-source-6.1 all); sv61=${sv61%%-*}
k61=$sv61-kvmdebug

# Each kernel built once (cold 11-15 min here); its times go into the log.
kernel() { # kernel RELEASE LINE
	local rel d
	rel=$("$DK" build LINE="$2" SVER="${1%-kvmdebug}" 2>>"$T_STDERR") &&
		[ "$rel" = "$1" ] && d=$("$DK" dir "$1") && [ -s "$d/vmlinuz" ] && [ -s "$d/kvm.ko" ] &&
		grep -qx 'CONFIG_PROVE_LOCKING=y' "$d/config" && grep -qx 'CONFIG_KASAN=y' "$d/config" &&
		grep -qx 'CONFIG_DEBUG_KMEMLEAK=y' "$d/config" && grep -qx 'CONFIG_KVM=m' "$d/config" || return 1
	echo "# $1: $(tr '\n' ' ' < "$d/times")"
}
check "debug kernel $k612 (lockdep, KASAN, kmemleak, KVM=m)" kernel "$k612" 6.12
check "debug kernel $k61 (lockdep, KASAN, kmemleak, KVM=m)" kernel "$k61" 6.1

# The 6.1 series, decided by reading the source alone.
src61=$(kr_fetch "linux-source-6.1=$(kr_candidate linux-source-6.1 all)")
fx=$("$KB" fixes KSRC="$src61" 2>>"$T_STDERR")
v61=$(basename "$src61" | sed 's/^linux-source-6.1_\([0-9.]*\)-.*/\1/')
check "make fixes KSRC=linux-source-6.1: the table tests/expect-fixes gives for $v61" \
	test "$fx" = "$(want_fixes "$v61")"

# Our module against each debug kernel's build tree, as against a distro
# headers package: the 6.1 patches compile, their header overrides and
# asm-offsets guards included.
build() { # build RELEASE
	local ko
	ko=$("$KB" build KVER="$1" 2>>"$T_STDERR") && [ -s "$ko" ] &&
		[ "$(modinfo -F vermagic "$ko" | cut -d' ' -f1)" = "$1" ]
}
check "kvm.ko builds for $k612" build "$k612"
check "kvm.ko builds for $k61 (the 6.1 series)" build "$k61"
check "the 6.1 build overrides asm/kvm_host.h and asm/csr.h" \
	grep -q 'header override: arch/riscv/include/asm/csr.h' "$T_STDERR"

run() { # run SCENARIO KVER MODULE [MACHINE]
	local r
	r=$(BED_CYCLES=${T_DEBUG_CYCLES:-40} BED_VM_EVERY=10 \
		"$KR_TOP/tests/bed/run" "$1" "$2" "$3" "${4:-aia}" 2>"$T_WORK/bed.err" | tail -1)
	cat "$T_WORK/bed.err" >&2
	case $r in
	PASS*) ok "debug bed $*: ${r#PASS }" ;;
	*) not_ok "debug bed $*: ${r:-$(tail -1 "$T_WORK/bed.err")}" ;;
	esac
}
# 6.12: fix 1's bug on stock, and none of KASAN, kmemleak or lockdep on ours
# after the teardown cycles and the snapshot; fix 3 both ways.
run teardown "$k612" stock
run teardown "$k612" ours
run snapshot "$k612" ours
run hsm "$k612" ours
run hsm "$k612" control-2121cadec45a
# 310e2096b082: a failed snapshot set_shmem, then the disable: KASAN's
# double-free on stock and on the control, nothing on ours.
run snapshot-edge "$k612" stock
run snapshot-edge "$k612" control-310e2096b082
run snapshot-edge "$k612" ours
# The security series under KASAN, lockdep and kmemleak: the new locking
# (kvm->lock in aia_has_attr, vcpu->mutex over the IMSIC attributes) and
# the PMU paths must raise no report on ours.
run aia-late-vcpu "$k612" ours
run snapshot-reinstall "$k612" ours
run pmu-oob "$k612" ours
# Stress and SBI fuzz under KASAN, lockdep and kmemleak: no report, and
# kmemleak finds nothing unreferenced after 100 cycles and 40 VMs.
r=$(BED_CYCLES=100 BED_VM_EVERY=10 STRESS_HSM=20 STRESS_VMS=40 STRESS_FUZZ_SEEDS="1 2" FUZZ_N=20000 \
	"$KR_TOP/tests/bed/run" stress "$k612" ours aia 2>"$T_WORK/bed.err" | tail -1)
cat "$T_WORK/bed.err" >&2
case $r in PASS*) ok "debug bed stress $k612 ours: ${r#PASS }" ;; *) not_ok "debug bed stress $k612 ours: $r" ;; esac
# 6.1 (no AIA in its KVM: the PLIC machine): fix 3 and fix 4 both ways on
# the kernel's own module and ours.  Its lockdep stays silent on stock: see
# the hsm note in tests/bed/run.
run hsm "$k61" stock plic
run hsm "$k61" ours plic
run exit-stats "$k61" stock plic
run exit-stats "$k61" ours plic
# 6.1's kvm.ko has no module_exit: the bed refuses teardown there.
expect_fail "teardown on $k61 is refused: its kvm.ko cannot be unloaded" 'has no module_exit' \
	"$KR_TOP/tests/bed/run" teardown "$k61" ours plic
t_done

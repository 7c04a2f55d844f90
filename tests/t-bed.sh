#!/bin/bash
# The run-time proofs: real Debian kernels under QEMU, stock module and
# ours.  Each combination's expectation is asserted by tests/bed/run (on
# stock 6.12.x under AIA, the teardown bug must be observed).
#
# make check (this group): every scenario, stock and ours, on Debian 13's
# current kernel; one teardown on the 7.2 line and the fix 7.2.13 lacks;
# the DKMS-installed module.
# make check-full adds the rest (group matrix): the older 6.12, every
# scenario on 7.2, the upstream selftests, PLIC.
. "$(dirname "$0")/lib.sh"

set_=${T_BED_SET:-core}
run() { # run SCENARIO KVER MODULE MACHINE
	local r
	r=$("$KR_TOP/tests/bed/run" "$@" 2>"$T_WORK/bed.err" | tail -1)
	cat "$T_WORK/bed.err" >&2
	case $r in
	PASS*) ok "bed $*: ${r#PASS }" ;;
	*) not_ok "bed $*: ${r:-$(tail -1 "$T_WORK/bed.err")}" ;;
	esac
}
# The selftests side by side, stock and ours (tests/bed/run has asserted
# that ours fails nothing stock passes and that every failure is known).
st_report() {
	local k=$1 a=$KR_TOP/build/bed/selftests-$1-stock.txt b=$KR_TOP/build/bed/selftests-$1-ours.txt
	[ -f "$a" ] && [ -f "$b" ] || return 0
	echo "# selftests on $k: test, stock, ours"
	join -a1 -a2 -e - -o 0,1.2,2.2 <(sort "$a") <(sort "$b") | column -t | sed 's/^/#   /'
	awk 'NR == FNR {have[$1] = 1; next}
		($1 == "known" || $1 == "omit" || $1 == "changed") && ($2 in have) {print "#   " $0}' \
		"$a" "$KR_TOP/tests/selftests/tests.conf"
}
both() { local m; for m in stock ours; do run "$1" "$2" "$m" "${3:-aia}"; done; }
proofs="teardown smoke exit-stats perf-fail snapshot snapshot-reinstall pmu-mask pmu-oob aia-late-vcpu hsm fuzz inst-access
	inst-unbacked mmio-sign sta-align sta-hva timer-restore hugetlb-slot hsm-status onereg imsic-direct ipi-order"
# controls KVER: each fix's own scenario on its control module (ours on the
# same source without that one fix) must show the fix's symptom.  A fix
# the source has is taken out by its tests/controls/ fixture; fix 3 needs
# lockdep (the debug-kernel bed), so it has no control run here.
controls() {
	local k=$1 sc id fx
	fx=$("$KB" resolve KVER="$k" | kr_field FIXES)
	for sc in teardown:2d117e67f318 exit-stats:af79caa83f6a inst-access:af79caa83f6a fuzz:1762ac42eed6 snapshot:47d40d93292d perf-fail:2196c066f138 \
		pmu-mask:1762ac42eed6 snapshot-reinstall:b7749531a9b1 pmu-oob:5c1bb0787111 \
		pmu-oob:99594f75b49e aia-late-vcpu:11366ead4f14 aia-late-vcpu:aeb1d17d1af5 \
		aia-late-vcpu:003b9dae53ae ipi-order:stable-ipi-vcpu-id; do
		id=${sc#*:}
		if grep -qx "$id applied" "$fx" || [ -f "$KR_TOP/tests/controls/revert-$id.patch" ]; then
			run "${sc%%:*}" "$k" "control-$id" aia
		else
			skip "bed ${sc%%:*} $k control-$id" "$k's source has $id and tests/controls/ cannot take it out"
		fi
	done
}

case $set_ in
core)
	for s in $proofs; do both "$s" "$T_KVER_612"; done
	controls "$T_KVER_612"
	run teardown "$T_KVER_72" ours aia
	# 7.2.13 lacks b7749531a9b1: a guest oopses the stock module's host,
	# and random SBI calls find it.
	both snapshot-reinstall "$T_KVER_72"
	both fuzz "$T_KVER_72"
	# ... and the IPI fix 6.12-stable has and 7.2.13 lacks.
	both ipi-order "$T_KVER_72"
	# The module `dkms install` puts in updates/dkms, loaded by modprobe.
	run teardown "$T_KVER_612" dkms aia
	run exit-stats "$T_KVER_612" dkms aia ;;
matrix)
	both selftests "$T_KVER_612"; st_report "$T_KVER_612"
	for s in $proofs selftests; do both "$s" "$T_KVER_612_OLD"; done
	st_report "$T_KVER_612_OLD"
	controls "$T_KVER_612_OLD"
	controls "$T_KVER_72"
	run teardown "$T_KVER_72" stock aia
	for s in smoke exit-stats perf-fail snapshot hsm selftests; do both "$s" "$T_KVER_72"; done
	st_report "$T_KVER_72"
	both teardown "$T_KVER_612" plic
	both smoke "$T_KVER_612" plic
	# The short stress run (make stress: the long one).
	run stress "$T_KVER_612" ours aia ;;
esac
t_done

#!/bin/bash
# The run-time matrix: real Debian kernels under QEMU, stock module and
# ours.  Each combination's expectation is asserted by tests/bed/run (on
# stock 6.12.x under AIA, the teardown bug must be observed).
. "$(dirname "$0")/lib.sh"

scenarios=${BED_SCENARIOS:-teardown smoke exit-stats perf-fail snapshot hsm}
run() { # run SCENARIO KVER MODULE MACHINE
	local r
	r=$("$KR_TOP/tests/bed/run" "$@" 2>"$T_WORK/bed.err" | tail -1)
	case $r in
	PASS*) ok "bed $*: ${r#PASS }" ;;
	*) not_ok "bed $*: ${r:-$(tail -1 "$T_WORK/bed.err")}" ;;
	esac
}
for kver in "$T_KVER_612" "$T_KVER_612_OLD" "$T_KVER_72"; do
	for s in $scenarios; do
		for m in stock ours; do
			run "$s" "$kver" "$m" aia
		done
	done
done
for s in teardown smoke; do
	for m in stock ours; do
		run "$s" "$T_KVER_612" "$m" plic
	done
done

#!/bin/bash
# The run-time matrix: real Debian kernels under QEMU, stock module and
# ours.  Each combination's expectation is asserted by tests/bed/run (on
# stock 6.12.x under AIA, the teardown bug must be observed).
. "$(dirname "$0")/lib.sh"

scenarios=${BED_SCENARIOS:-teardown smoke exit-stats perf-fail snapshot hsm selftests}
run() { # run SCENARIO KVER MODULE MACHINE
	local r
	r=$("$KR_TOP/tests/bed/run" "$@" 2>"$T_WORK/bed.err" | tail -1)
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
	# Why a test failed on both, or did not run: for the tests this kernel has.
	awk 'NR == FNR {have[$1] = 1; next}
		($1 == "known" || $1 == "omit") && ($2 in have) {print "#   " $0}' \
		"$a" "$KR_TOP/tests/selftests/tests.conf"
}
for kver in "$T_KVER_612" "$T_KVER_612_OLD" "$T_KVER_72"; do
	for s in $scenarios; do
		for m in stock ours; do
			run "$s" "$kver" "$m" aia
		done
	done
	case " $scenarios " in *" selftests "*) st_report "$kver" ;; esac
done
# The module DKMS installed in the DKMS test (make check-dkms), loaded by
# modprobe from updates/dkms.
for s in teardown exit-stats; do
	case " $scenarios " in *" $s "*) run "$s" "$T_KVER_612" dkms aia ;; esac
done
for s in teardown smoke; do
	for m in stock ours; do
		run "$s" "$T_KVER_612" "$m" plic
	done
done

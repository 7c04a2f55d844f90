#!/bin/bash
# Per-fix detection: real Debian sources give the expected tables, and
# synthetic sources show not-applicable and conflict handling.
. "$(dirname "$0")/lib.sh"

table() { "$KB" fixes "$@" 2>"$T_WORK/fixes.err"; }

"$KB" resolve KVER="$T_KVER_612" > "$T_WORK/resolve-612"
sver=$(kr_field SOURCE_VERSION < "$T_WORK/resolve-612")
src=$(kr_field SOURCE < "$T_WORK/resolve-612")
# The tables are data, measured once per source: tests/expect-fixes.
states() { awk '{printf "%s ", $2}' <<<"$1"; }
got=$(table KVER="$T_KVER_612")
want=$(want_fixes "$sver")
check "tests/expect-fixes has a table for $sver" test -n "$want"
check "Debian $T_KVER_612 (source $sver): $(states "$want")" [ "$got" = "$want" ]
[ "$got" = "$want" ] || printf '#   got: %s\n' $got
v72=$("$KB" resolve KVER="$T_KVER_72" | kr_field SOURCE_VERSION)
got=$(table KVER="$T_KVER_72")
check "Debian $T_KVER_72 (source $v72): $(states "$(want_fixes "$v72")")" [ "$got" = "$(want_fixes "$v72")" ]
[ "$got" = "$(want_fixes "$v72")" ] || printf '#   got: %s\n' $got

# The 6.1 LTS line (Debian's linux-source-6.1; no riscv64 6.1 kernel, so
# read from the source alone): no code for 1, 2 and 5; 3 and 4 carried
# with their 6.1 prerequisites.
src61=$(kr_fetch "linux-source-6.1=$(kr_candidate linux-source-6.1 all)")
got=$(table KSRC="$src61")
v61=$(basename "$src61" | sed 's/^linux-source-6.1_\([0-9.]*\)-.*/\1/')
check "linux-source-6.1 ($(basename "$src61")) from the source alone: $(states "$(want_fixes "$v61")")" \
	[ "$got" = "$(want_fixes "$v61")" ]
check "the source alone gives the table the headers give ($T_KVER_612)" \
	[ "$(table KSRC="$(kr_field SOURCE_ORIGIN < "$T_WORK/resolve-612")")" = "$(want_fixes "$sver")" ]

# The series is what the real source gives: refresh-series --check applies
# each patch (no fuzz) to a git copy of its line's source and regenerates
# its body; an offset or any other difference fails.
# The 6.12 patches are made on the current test kernel's source; another
# point release may hold the same code a few lines away (an offset), with
# the same hunks.
check "every patch for $T_KVER_612 is what its source gives (no fuzz, no offset, same body)" \
	"$KR_TOP/scripts/refresh-series" --check KVER="$T_KVER_612"
for k in "$T_KVER_612_OLD" "$T_KVER_72"; do
	check "every patch for $k is what its source gives (no fuzz, same hunks; offsets allowed)" \
		"$KR_TOP/scripts/refresh-series" --check --allow-offset KVER="$k"
done
shifted=$T_WORK/shifted
cp -a "$src" "$shifted"; rm -f "$shifted/.kr-done"
sed -i '1i /* kvm-riscv test: one more line */' "$shifted/arch/riscv/kvm/vcpu_exit.c"
expect_fail "refresh-series --check fails where a patch applies at an offset" \
	'0001-RISC-V-KVM-Redirect-instruction-access-fault-trap-to-guest.patch: applies with offset 1 line' \
	"$KR_TOP/scripts/refresh-series" --check KVER="$T_KVER_612" KSRC="$shifted"
check "refresh-series --check --allow-offset takes the same source: same hunks, one line down" \
	"$KR_TOP/scripts/refresh-series" --check --allow-offset KVER="$T_KVER_612" KSRC="$shifted"

# A source with the fixed code removed: no AIA teardown at module exit and
# no SBI PMU at all (as in 6.1).
absent=$T_WORK/absent
cp -a "$src" "$absent"
sed -i '/kvm_riscv_aia_exit();/d' "$absent/arch/riscv/kvm/main.c"
rm "$absent/arch/riscv/kvm/vcpu_pmu.c"
got=$(table KVER="$T_KVER_612" KSRC="$absent")
check "code absent: 2d117e67f318 not-applicable" grep -qx '2d117e67f318 not-applicable' <<<"$got"
check "code absent: 47d40d93292d not-applicable" grep -qx '47d40d93292d not-applicable' <<<"$got"
check "code absent: 2196c066f138 not-applicable" grep -qx '2196c066f138 not-applicable' <<<"$got"
check "code absent: af79caa83f6a still applied" grep -qx 'af79caa83f6a applied' <<<"$got"

# A source whose exit handler differs where the af79caa83f6a series
# patches it: the error names the fix, the patch and the failing hunk.
conflict=$T_WORK/conflict
cp -a "$src" "$conflict"
sed -i 's/^\tcase EXC_LOAD_MISALIGNED:$/\tcase EXC_LOAD_MISALIGNED: \/* local change *\//' \
	"$conflict/arch/riscv/kvm/vcpu_exit.c"
expect_fail "conflicting hunk: error names af79caa83f6a and the hunk" \
	'fix af79caa83f6a does not apply: 0002-RISC-V-KVM-Update-firmware-counters.*vcpu_exit.c: Hunk #2 FAILED' \
	"$KB" fixes KVER="$T_KVER_612" KSRC="$conflict"
expect_fail "conflict: no table is printed as if it were fine" '^kvm-riscv: error' \
	"$KB" fixes KVER="$T_KVER_612" KSRC="$conflict"

# The detector agrees with the patch: fixed code the patch would produce
# is reported as upstream, not patched twice.
. "$KR_TOP/src/series.sh"
fixed=$T_WORK/fixed
cp -a "$src" "$fixed"
for fix in $(series_fixes); do
	fix_eval "$fix" "$src" present && continue
	for p in $(fix_patches "$fix" 6.12); do patch -s -d "$fixed" -p1 <"$p"; done
done
got=$(table KVER="$T_KVER_612" KSRC="$fixed")
check "source already patched: every fix upstream" \
	[ "$(awk '{print $2}' <<<"$got" | sort -u)" = upstream ]

# Detection both ways: each fix's present() is true on a source with the
# fix and false on one without, applicable() true on both.  Fixes 1, 4, 6
# and 7 on are missing from 6.12.107 and in the patched copy; fixes 2, 3
# and 5 are in 6.12.107 and taken out by the test fixtures in tests/controls/.
both_ways() { # FIXDIR WITH WITHOUT
	fix_eval "$1" "$2" applicable && fix_eval "$1" "$3" applicable &&
		fix_eval "$1" "$2" present && ! fix_eval "$1" "$3" present
}
for fix in $(series_fixes); do
	id=$(fix_id "$fix")
	rev=$KR_TOP/tests/controls/revert-$id.patch
	if [ -f "$rev" ]; then
		ctl=$T_WORK/control-$id
		cp -a "$src" "$ctl"; rm -f "$ctl/.kr-done"
		patch -s -d "$ctl" -p1 -F0 <"$rev"
		check "$id detected both ways: present in $sver, absent with tests/controls/revert-$id.patch" \
			both_ways "$fix" "$src" "$ctl"
	else
		check "$id detected both ways: absent in $sver, present once our series is applied" \
			both_ways "$fix" "$fixed" "$src"
	fi
done
# The fixtures take the three fixes out of the other test kernels' sources
# as well, and the detection follows.
for k in "$T_KVER_612_OLD" "$T_KVER_72"; do
	ks=$("$KB" resolve KVER="$k" | kr_field SOURCE)
	for rev in "$KR_TOP"/tests/controls/revert-*.patch; do
		id=${rev##*/revert-}; id=${id%.patch}
		fix=$(fix_dir "$id")
		ctl=$T_WORK/control-$id-$k
		cp -a "$ks" "$ctl"; rm -f "$ctl/.kr-done"
		check "tests/controls/revert-$id.patch applies to $k's source (no fuzz)" \
			sh -c 'patch -s -d "$1" -p1 -F0 <"$2"' sh "$ctl" "$rev"
		check "$id detected both ways on $k's source" both_ways "$fix" "$ks" "$ctl"
	done
done
# The check that only looked for the mp_state_lock field would call the
# control source fixed: the locking itself is what is checked now.
check "2121cadec45a: the control keeps the mp_state_lock field, yet is seen as lacking the fix" \
	grep -Eq 'spinlock_t[[:space:]]+mp_state_lock;' "$T_WORK/control-2121cadec45a/arch/riscv/include/asm/kvm_host.h"
# A control source builds only with that fix excluded, and says so.
expect_fail "a source lacking 47d40d93292d stops the build: no 6.12 patch for it" \
	'fix 47d40d93292d .* is missing here and the series has no patch for kernel line 6.12' \
	"$KB" fixes KVER="$T_KVER_612" KSRC="$T_WORK/control-47d40d93292d"
got=$(table KVER="$T_KVER_612" KSRC="$T_WORK/control-47d40d93292d" EXCLUDE=47d40d93292d)
check "EXCLUDE=47d40d93292d: the table says excluded" grep -qx '47d40d93292d excluded' <<<"$got"

# KSRC=debsrc: the Debian source package of the kernel's exact version,
# unpacked by dpkg-source, gives the same KVM sources as linux-source.
# The archive keeps a source package only for a while (6.12.117-1 was
# listed in Sources but its files answered 404 on 2026-12-01): the first
# test kernel whose source package downloads is used; none: skip.
dk=
for k in "$T_KVER_612_OLD" "$T_KVER_612"; do
	if got=$(table KVER="$k" KSRC=debsrc); then dk=$k; break; fi
	grep -q 'the archive has no Debian source package' "$T_WORK/fixes.err" || { dk=$k; break; }
done
if [ -z "$dk" ]; then
	for n in "KSRC=debsrc for a 6.12 kernel" "KSRC=debsrc names its source package" "KSRC=debsrc same as linux-source"; do
		skip "$n" "the archive serves no Debian source package of $T_KVER_612_OLD or $T_KVER_612"
	done
	t_done; exit 0
fi
opv=$(kr_apt_cache show "linux-headers-$dk:riscv64" 2>/dev/null | sed -n 's/^Version: //p' | head -1)
check "KSRC=debsrc for $dk: the table of a ${dk%%+*} source" [ "$got" = "$(want_fixes "${dk%%+*}")" ]
check "KSRC=debsrc names the Debian source package it used" \
	grep -q "linux_${dk%%+*}-[0-9.]* (Debian source package)" "$T_WORK/fixes.err"
a=$(ls -d "$KR_CACHE"/src/linux_"$opv"-debsrc-* | head -1)
"$KB" resolve KVER="$dk" > "$T_WORK/resolve-old"
b=$(kr_field SOURCE < "$T_WORK/resolve-old")
n="KSRC=debsrc: same arch/riscv/kvm and virt/kvm as linux-source-6.12 ${dk%%+*}"
if [ "$(kr_field SOURCE_VERSION < "$T_WORK/resolve-old")" = "${dk%%+*}" ]; then
	same_kvm() { diff -qr "$a/arch/riscv/kvm" "$b/arch/riscv/kvm" && diff -qr "$a/virt/kvm" "$b/virt/kvm"; }
	check "$n" same_kvm
else
	skip "$n" "the archive has no linux-source-6.12 of ${dk%%+*} any more"
fi
t_done

#!/bin/bash
# Build for every test kernel, and compare with the stock kvm.ko of the
# same kernel: vermagic, exported symbols, imported symbols and their CRCs.
. "$(dirname "$0")/lib.sh"
. "$KR_TOP/tests/bed/setup.sh"
. "$KR_TOP/scripts/root.sh"
. "$KR_TOP/src/series.sh"
kr_apt_setup

exports() { readelf -Ws "$1" | awk '$4 == "NOTYPE" && $8 ~ /^__ksymtab_/ {sub(/^__ksymtab_(gpl_)?/, "", $8); print $8}' | sort -u; }
imports() { readelf -Ws "$1" | awk '$7 == "UND" && $8 != "" {print $8}' | sort -u; }
crcs()    { modprobe --dump-modversions "$1" 2>/dev/null | sort -k2; }
# export_crcs KO: "symbol crc" of the module's own exports (the __crc_
# symbols point into the __kcrctab sections).
export_crcs() {
	python3 - "$1" <<-'EOP'
	import struct, subprocess, sys
	ko = sys.argv[1]
	run = lambda *a: subprocess.run(a, capture_output=True, text=True, check=True).stdout
	off = {}
	for l in run('readelf', '-SW', ko).splitlines():
	    l = l.strip()
	    if l.startswith('[') and not l.startswith('[Nr]'):
	        f = l[l.index(']') + 1:].split()
	        off[l[1:l.index(']')].strip()] = int(f[3], 16)
	data = open(ko, 'rb').read()
	for l in run('readelf', '-Ws', ko).splitlines():
	    f = l.split()
	    if len(f) == 8 and f[7].startswith('__crc_') and f[6] in off:
	        print(f[7][6:], '%08x' % struct.unpack_from('<I', data, off[f[6]] + int(f[1], 16))[0])
	EOP
}
# srcnames KO: the file names (__FILE__) among a module's loaded strings.
srcnames() {
	local sec
	for sec in $(readelf -SW "$1" | grep -o '\.rodata[^ ]*' | sort -u); do
		readelf -p "$sec" "$1" | sed -n 's/^ *\[ *[0-9a-f]*\] *//p'
	done | grep -E '\.[ch]$' | sort -u
}
# tree_relative KO: the tree's files are named relative to its top, and
# nothing names this checkout's build directory.
tree_relative() {
	[ "$(srcnames "$1" | grep -c '^arch/riscv/kvm/')" -gt 0 ] && ! srcnames "$1" | grep -F "$KR_TOP/build" >&2
}
# same_list FUNC A B: FUNC lists something of both modules, equally; an
# empty list (readelf failed, or not a module) is not "the same".
same_list() {
	[ -n "$("$1" "$2")" ] && [ -n "$("$1" "$3")" ] && diff <("$1" "$2") <("$1" "$3") >&2
}

for kver in "$T_KVER_612" "$T_KVER_612_OLD" "$T_KVER_72"; do
	if ! "$KB" build KVER="$kver" > "$T_WORK/build-$kver.out" 2>&1; then
		not_ok "build for $kver"
		tail -5 "$T_WORK/build-$kver.out" | sed 's/^/#   /'
		continue
	fi
	ours=$KR_TOP/build/$kver/kvm.ko
	check "build for $kver leaves build/$kver/kvm.ko" test -s "$ours"
	sed -n 's/^\(prepare_s\|compile_s\|SOURCE_DESC\)=/# '"$kver"' \1=/p' "$KR_TOP/build/$kver/resolve"
	check "$kver: modinfo names the module kvm" [ "$(modinfo -F name "$ours")" = kvm ]
	check "$kver: modinfo version is the project's ($KR_VERSION)" \
		[ "$(modinfo -F version "$ours")" = "$KR_VERSION" ]
	fixes=$(awk '{printf "%s%s=%s", (NR>1?" ":""), $1, $2}' "$KR_TOP/build/$kver/fixes")
	check "$kver: modinfo kvm_riscv_fixes matches the fix table" \
		[ "$(modinfo -F kvm_riscv_fixes "$ours")" = "$fixes" ]
	check "$kver: modinfo kvm_riscv_source names the source version" \
		grep -q "(${kver%%+*})\$" <<<"$(modinfo -F kvm_riscv_source "$ours")"
	# A printk record holds 1 KiB: the banner counts, modinfo lists.
	sum=$(awk '{n[$2]++} END {printf "%d applied, %d upstream, %d not applicable",
		n["applied"], n["upstream"], n["not-applicable"]}' "$KR_TOP/build/$kver/fixes")
	check "$kver: the load banner is in the module and counts the fixes ($sum)" \
		grep -q "kvm-riscv .* backport, fixes: $sum (modinfo -F kvm_riscv_fixes kvm)" <(strings "$ours")

	if ! (bed_kernel "$kver") >/dev/null; then
		not_ok "$kver: stock kvm.ko found in the distro packages"; continue
	fi
	stock=$BED/k/$kver/kvm.ko
	check "$kver: same vermagic as stock" \
		[ "$(modinfo -F vermagic "$ours")" = "$(modinfo -F vermagic "$stock")" ]
	# __FILE__ as the distro's build has it, relative to the tree's top: not
	# under this machine's build directory (DKMS: /var/lib/dkms/...).
	check "$kver: source file names in the module's strings are the tree's, relative ($(srcnames "$ours" | grep -c '^arch/riscv/kvm/')), none under the build directory" \
		tree_relative "$ours"
	check "$kver: same exported symbols as stock ($(exports "$stock" | wc -l))" \
		same_list exports "$stock" "$ours"
	line=$(kr_field SOURCE_VERSION < "$KR_TOP/build/$kver/resolve" | cut -d. -f1,2)
	applied_patches=$(for id in $(awk '$2 == "applied" {print $1}' "$KR_TOP/build/$kver/fixes"); do
		fix_patches "$(fix_dir "$id")" "$line"
	done)
	# Imports differ from stock's only where an applied patch adds or drops
	# the call (6.12.117's stable fixes carried to 6.12.107 call
	# perf_event_pause, as 6.12.117's stock module does).
	newimp=$(comm -3 <(imports "$stock") <(imports "$ours") | tr -d '\t')
	unexplained=$(for sym in $newimp; do
		grep -qE "^[-+].*\<$sym\>" $applied_patches || echo "$sym"; done)
	check "$kver: imports as stock's ($(imports "$stock" | wc -l))${newimp:+, but $(echo $newimp), each called or dropped by an applied patch}" \
		[ -n "$(imports "$ours")" -a -z "$unexplained" ]
	# Import CRCs: stock's for the symbols both use, the kernel's own
	# (the headers' Module.symvers) for the others.
	symvers=$(kr_field HEADERS < "$KR_TOP/build/$kver/resolve")/Module.symvers
	badcrc=$(join -1 2 -2 2 -a 2 <(crcs "$stock") <(crcs "$ours") | while read -r sym a b; do
		if [ -n "$b" ]; then [ "$a" = "$b" ] || echo "$sym"
		else awk -v s="$sym" -v c="$a" '$2 == s {found = 1; if (tolower($1) != tolower(c)) bad = 1}
			END {exit !(found && !bad)}' "$symvers" || echo "$sym"; fi
	done)
	# (Debian's 7.x kernels have no MODVERSIONS: no CRCs, checked below.)
	[ -z "$(crcs "$stock")" ] ||
		check "$kver: import CRCs as stock's, or the kernel's for a new import ($(crcs "$ours" | wc -l))" \
			[ -n "$(crcs "$ours")" -a -z "$badcrc" ]
	# Export CRCs equal stock's unless an applied patch changed a header
	# kvm.ko's exports reach (struct kvm_vcpu_stat), and that patch says so.
	hdr_patches=$(grep -l "^+++ b/arch/riscv/include/" $applied_patches)
	ne=$(export_crcs "$stock" | wc -l)
	nd=$(diff <(export_crcs "$stock") <(export_crcs "$ours") | grep -c '^>')
	if [ "$ne" = 0 ]; then
		:	# no MODVERSIONS: checked below
	elif [ -z "$hdr_patches" ]; then
		check "$kver: export CRCs equal to stock ($ne; no patch changes a header)" [ "$nd" = 0 ]
	else
		why=$(grep -l "CRCs of most of kvm.ko.s own exports" $hdr_patches)
		check "$kver: $nd of $ne export CRCs differ from stock, explained by $(basename ${why:-nothing})" \
			[ "$nd" -gt 0 -a -n "$why" ]
	fi
	# Debian's 7.x kernels are built without CONFIG_MODVERSIONS: no CRCs.
	hdr=$(kr_field HEADERS < "$KR_TOP/build/$kver/resolve")
	if grep -qx 'CONFIG_MODVERSIONS=y' "$hdr/.config"; then
		check "$kver: CRCs were read (MODVERSIONS)" [ "$(crcs "$ours" | wc -l)" -gt 100 ]
	else
		check "$kver: no CRCs in either module (kernel has no MODVERSIONS)" \
			[ -z "$(crcs "$ours")$(crcs "$stock")" ]
	fi
done

# The kbuild of another point release of the line (what a kernel whose
# kbuild has left the archive gets) writes the same module, byte for byte.
sub=${T_KVER_612%-riscv64}
if [ "$sub" != "${T_KVER_612_OLD%-riscv64}" ] && [ -s "$KR_TOP/build/$T_KVER_612_OLD/kvm.ko" ]; then
	cp "$KR_TOP/build/$T_KVER_612_OLD/kvm.ko" "$T_WORK/own-kbuild.ko"
	if KVM_RISCV_KBUILD=$sub "$KB" build KVER="$T_KVER_612_OLD" >"$T_WORK/subst.out" 2>&1; then
		check "$T_KVER_612_OLD built with linux-kbuild-$sub: kvm.ko identical to its own kbuild's" \
			cmp "$T_WORK/own-kbuild.ko" "$KR_TOP/build/$T_KVER_612_OLD/kvm.ko"
	else
		not_ok "$T_KVER_612_OLD builds with linux-kbuild-$sub"
	fi
else
	skip "kbuild of another point release writes the same module" \
		"$T_KVER_612_OLD and $T_KVER_612 share a kbuild, or $T_KVER_612_OLD did not build"
fi

# The asm-offsets guard fires when a patched header moves what
# vcpu_switch.S addresses, and says which offset moved.
tree=$KR_TOP/build/$T_KVER_612/tree
root=$(kr_field ROOT < "$KR_TOP/build/$T_KVER_612/resolve")
if [ -d "$tree" ]; then
	g=$T_WORK/guard
	cp -a "$tree" "$g"
	sed -i 's/^struct kvm_vcpu_arch {$/&\n\tunsigned long kr_test_pad;/' \
		"$g/kr-override/arch/riscv/include/asm/kvm_host.h"
	guard_fires() {
		local out
		out=$(root_run "$root" "$T_WORK" make -C "/usr/src/linux-headers-$T_KVER_612" M="$g" KR_TREE="$g" \
			-j"$(nproc)" modules 2>&1) && return 1
		grep -Eq 'static assertion failed: "KVM_ARCH_[A-Z0-9_]+ moved"' <<<"$out"
	}
	check "asm-offsets guard stops a build whose header moved KVM_ARCH_* offsets" guard_fires
else
	not_ok "asm-offsets guard: no built tree for $T_KVER_612 to test it on"
fi
t_done

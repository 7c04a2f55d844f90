#!/bin/bash
# Archive access survives a mirror mid-sync, without the network: a local
# file: mirror made here whose trixie Release lists an index that is not
# the one served (as Debian's mirror did on 2026-11-23) while its stable
# alias is consistent.  apt verifies hashes and sizes as usual; the
# mirror's Release files are unsigned, so its lines carry trusted=yes
# (signatures are not what is under test).
. "$(dirname "$0")/lib.sh"
. "$KR_TOP/scripts/root.sh"

# mk_suite DIR NAME CODENAME BREAK: a suite with riscv64 and amd64 indexes
# and empty Sources; BREAK=1 lists a wrong size for the riscv64 index.
mk_suite() {
	local d=$1/dists/$2 f
	mkdir -p "$d/main/binary-riscv64" "$d/main/binary-amd64" "$d/main/source"
	cat > "$d/main/binary-riscv64/Packages" <<-EOP
	Package: linux-headers-riscv64
	Architecture: riscv64
	Version: 6.12.107-1
	Depends: linux-headers-6.12.107+deb13-riscv64 (= 6.12.107-1)
	Filename: pool/main/l/linux-signed/linux-headers-riscv64_6.12.107-1_riscv64.deb
	Size: 1000
	Description: test

	Package: linux-headers-6.12.94+deb13-riscv64
	Architecture: riscv64
	Version: 6.12.94-1
	Filename: pool/main/l/linux/linux-headers-6.12.94+deb13-riscv64_6.12.94-1_riscv64.deb
	Size: 1000
	Description: test
	EOP
	: > "$d/main/binary-amd64/Packages"
	for f in 6.12.107 6.12.111; do
		printf 'Package: linux-kbuild-%s+deb13\nArchitecture: amd64\nVersion: %s-1\nFilename: pool/main/l/linux/linux-kbuild-%s+deb13_%s-1_amd64.deb\nSize: 1000\nDescription: test\n\n' \
			"$f" "$f" "$f" "$f" >> "$d/main/binary-amd64/Packages"
	done
	: > "$d/main/source/Sources"
	{
		printf 'Origin: Debian\nSuite: %s\nCodename: %s\nArchitectures: amd64 riscv64\nComponents: main\nDate: %s\nSHA256:\n' \
			"$2" "$3" "$(date -uR)"
		for f in main/binary-riscv64/Packages main/binary-amd64/Packages main/source/Sources; do
			local size; size=$(stat -c %s "$d/$f")
			[ "$4" = 1 ] && [ "$f" = main/binary-riscv64/Packages ] && size=$((size + 1836))
			printf ' %s %s %s\n' "$(sha256sum < "$d/$f" | cut -d' ' -f1)" "$size" "$f"
		done
	} > "$d/Release"
}
# mirror NAME TRIXIE_BROKEN STABLE_BROKEN STABLE_CODENAME
mirror() {
	local m=$T_WORK/$1 s
	rm -rf "$m"
	mk_suite "$m/debian" trixie trixie "$2"
	mk_suite "$m/debian" stable "$4" "$3"
	for s in sid bookworm bookworm-backports; do mk_suite "$m/debian" $s $s 0; done
	mk_suite "$m/security" trixie-security trixie-security 0
}
# apt_in NAME CMD: CMD in a shell with the project's apt on mirror NAME.
apt_in() {
	env KVM_RISCV_CACHE="$T_WORK/$1/cache" KVM_RISCV_MIRROR="file://$T_WORK/$1/debian" \
		KVM_RISCV_SECURITY_MIRROR="file://$T_WORK/$1/security" KVM_RISCV_MIRROR_OPTIONS=trusted=yes \
		bash -c ". '$KR_TOP/scripts/lib.sh'; . '$KR_TOP/scripts/archive.sh'; . '$KR_TOP/scripts/root.sh'; kr_apt_setup; $2"
}

mirror midsync 1 0 trixie
out=$(apt_in midsync kr_default_kver 2>"$T_WORK/midsync.err"); rc=$?
check "trixie index inconsistent, stable consistent: the kernel resolves (exit $rc)" \
	test "$out" = 6.12.107+deb13-riscv64
check "stderr names the failing index and the alias that served it" \
	grep -q "trixie: served by the alias stable (Release Codename: trixie)" "$T_WORK/midsync.err"
check "the suite map records trixie=stable" grep -qx 'trixie=stable' "$T_WORK/midsync/cache/apt/suites"
check "apt verified the alias (no insecure options in the sources)" \
	sh -c "! grep -Eq 'allow-insecure|allow-weak|check-valid' '$T_WORK/midsync/cache/apt/sources.list'"
# The same mirror, second call: the map is reused, nothing is refetched.
out=$(apt_in midsync kr_default_kver 2>"$T_WORK/midsync2.err")
check "a second run reuses the verified lists" \
	sh -c "[ '$out' = 6.12.107+deb13-riscv64 ] && ! grep -q 'updating the package lists' '$T_WORK/midsync2.err'"

# A kernel whose kbuild has left the archive takes the nearest of its line.
out=$(apt_in midsync 'kr_kbuild_base 6.12.94+deb13-riscv64' 2>"$T_WORK/kbuild.err")
check "kbuild of 6.12.94 gone: the nearest of the line (6.12.107) is taken" test "$out" = 6.12.107+deb13
check "and the substitution is said" grep -q 'linux-kbuild-6.12.94+deb13 (amd64) is no longer in the archive; using linux-kbuild-6.12.107+deb13' "$T_WORK/kbuild.err"
expect_fail "no kbuild of the line at all: the error names the missing package" \
	'linux-kbuild-6\.13\.1\+deb13 \(amd64\) is not in the archive' \
	apt_in midsync 'kr_kbuild_base 6.13.1+deb13-riscv64'

mirror broken 1 1 trixie
expect_fail "codename and alias both inconsistent: a clear error" \
	'the index of trixie on file://.* fails apt.s verification and so does the suite that serves it now \(stable\)' \
	apt_in broken kr_default_kver
expect_fail "and it says what to do" 'retry later, or set KVM_RISCV_MIRROR' apt_in broken kr_default_kver
check "a failed setup leaves no suite map behind" test ! -e "$T_WORK/broken/cache/apt/suites"

mirror wrongname 1 0 forky
expect_fail "an alias whose Release names another codename is refused" \
	"its alias stable is Codename 'forky'" apt_in wrongname kr_default_kver

mirror fine 0 0 trixie
out=$(apt_in fine kr_default_kver 2>"$T_WORK/fine.err")
check "a consistent mirror is used under its codenames" \
	sh -c "[ '$out' = 6.12.107+deb13-riscv64 ] && grep -qx 'trixie=trixie' '$T_WORK/fine/cache/apt/suites'"
t_done

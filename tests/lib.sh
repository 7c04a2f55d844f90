# shellcheck shell=bash
# Test helpers: each check prints "ok - ..." or "not ok - ...".  Sourced by
# the test files; tests/run counts the lines.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
export PATH=$PATH:/usr/sbin:/sbin

T_WORK=${T_WORK:-$(mktemp -d /tmp/kvm-riscv-test.XXXXXX)}
KB=$KR_TOP/scripts/kvm-riscv-build

ok()     { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; }
# check NAME CMD...: passes when CMD succeeds.
check() { local n=$1; shift; if "$@"; then ok "$n"; else not_ok "$n"; fi; }

# expect_fail NAME REGEX CMD...: CMD must exit non-zero and say REGEX.
expect_fail() {
	local n=$1 re=$2 said rc; shift 2
	said=$("$@" 2>&1); rc=$?
	if [ $rc -ne 0 ] && printf '%s\n' "$said" | grep -Eq -- "$re"; then
		ok "$n"
	else
		not_ok "$n (exit $rc, wanted /$re/)"
		printf '%s\n' "$said" | tail -5 | sed 's/^/#   /'
	fi
}

# Releases under test: Debian's current riscv64 kernels, resolved in the
# archive at run time with these defaults (a point release may move them).
T_KVER_612=${T_KVER_612:-6.12.107+deb13-riscv64}
T_KVER_612_OLD=${T_KVER_612_OLD:-6.12.94+deb13-riscv64}
T_KVER_72=${T_KVER_72:-7.2.13+deb14-riscv64}

# t_kernels: keep each default while the archive has its headers; when a
# point release has replaced it, take the newest (oldest, for the older
# 6.12) riscv64 kernel of the same line.  Each group resolves alike;
# exported for the scripts a group calls.
t_kernel_in() { # LINE newest|oldest -> a release of that line in the archive
	kr_apt_cache search --names-only "^linux-headers-$1\\.[0-9]+\\+deb[0-9]+-riscv64\$" 2>/dev/null |
		awk '{print $1}' | sed 's/^linux-headers-//' | sort -V |
		if [ "$2" = newest ]; then tail -1; else head -1; fi
}
t_kernels() {
	[ -z "${T_KERNELS_RESOLVED:-}" ] || return 0
	kr_apt_setup
	local v n
	for v in T_KVER_612:6.12:newest T_KVER_612_OLD:6.12:oldest T_KVER_72:7.2:newest; do
		n=${v%%:*}
		[ -n "$(kr_candidate "linux-headers-${!n}" riscv64)" ] && continue
		set -- ${v//:/ }
		local r; r=$(t_kernel_in "$2" "$3")
		[ -n "$r" ] || die "no $2 riscv64 kernel left in the archive (was ${!n})"
		msg "note: ${!n} is no longer in the archive; testing $r instead"
		printf -v "$n" '%s' "$r"
	done
	export T_KVER_612 T_KVER_612_OLD T_KVER_72 T_KERNELS_RESOLVED=1
}
t_kernels

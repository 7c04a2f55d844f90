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

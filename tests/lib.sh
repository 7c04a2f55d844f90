# shellcheck shell=bash
# Test helpers: each group prints TAP (one "ok"/"not ok" line per check)
# and ends with t_done, which prints the plan.  A group that dies or stops
# early never prints its plan, and prove (tests/run) fails it for that.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
. "$KR_TOP/scripts/archive.sh"

T_WORK=${T_WORK:-$(mktemp -d /tmp/kvm-riscv-test.XXXXXX)}
# The developer's front end (archive, roots) and the DKMS-time builder.
KB=$KR_TOP/scripts/acquire
BUILDER=$KR_TOP/src/kvm-riscv-build
KR_VERSION=$(kr_version)
T_GROUP=$(basename "$0" .sh)
# Counted in a file: checks also run in subshells and pipelines.
T_COUNT=$T_WORK/$T_GROUP.$$.count
: > "$T_COUNT"
# The scripts' messages go to a log; its tail is shown when the group fails.
T_STDERR=$T_WORK/$T_GROUP.stderr
exec 2>>"$T_STDERR"

ok()     { echo "ok - $*"; echo ok >> "$T_COUNT"; }
not_ok() { echo "not ok - $*"; echo fail >> "$T_COUNT"; }
# skip NAME REASON: a check that cannot run here, counted as a skip.
skip()   { echo "ok - $1 # SKIP $2"; echo skip >> "$T_COUNT"; }
# check NAME CMD...: passes when CMD succeeds.
check() { local n=$1; shift; if "$@"; then ok "$n"; else not_ok "$n"; fi; }

# t_done: the plan, printed only by a group that reached its end.
t_done() {
	if grep -qx fail "$T_COUNT"; then
		echo "# $T_GROUP failed; the last lines of its log ($T_STDERR):"
		tail -15 "$T_STDERR" | sed 's/^/#   /'
	fi
	echo "# $T_GROUP: $(grep -cx ok "$T_COUNT") passed, $(grep -cx fail "$T_COUNT") failed, $(grep -cx skip "$T_COUNT") skipped"
	echo "1..$(wc -l < "$T_COUNT")"
}

# expect_fail NAME REGEX CMD...: CMD must exit non-zero and say REGEX
# (matched on a line, or across lines joined by spaces: cause and fix).
expect_fail() {
	local n=$1 re=$2 said rc; shift 2
	said=$("$@" 2>&1); rc=$?
	if [ $rc -ne 0 ] && { printf '%s\n' "$said" | grep -Eq -- "$re" ||
		printf '%s\n' "$said" | tr '\n' ' ' | grep -Eq -- "$re"; }; then
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
# point release has replaced it, take the newest (for the older 6.12: the
# oldest other than the current 6.12) riscv64 kernel of the same line.  Each group resolves alike;
# exported for the scripts a group calls.
t_kernel_in() { # LINE newest|oldest [NOT] -> a release of that line in the archive (not NOT)
	kr_apt_cache search --names-only "^linux-headers-$1\\.[0-9]+\\+deb[0-9]+-riscv64\$" 2>/dev/null |
		awk '{print $1}' | sed 's/^linux-headers-//' | grep -vxF "${3:-/}" | sort -V |
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
		# The older 6.12 is another point release than the current one.
		local r; r=$(t_kernel_in "$2" "$3" "$([ "$n" = T_KVER_612_OLD ] && echo "$T_KVER_612")")
		[ -n "$r" ] || die "no $2 riscv64 kernel left in the archive (was ${!n})"
		msg "note: ${!n} is no longer in the archive; testing $r instead"
		printf -v "$n" '%s' "$r"
	done
	export T_KVER_612 T_KVER_612_OLD T_KVER_72 T_KERNELS_RESOLVED=1
}
t_kernels

# want_fixes SOURCE_VERSION: the fix table tests/expect-fixes gives for a
# source of that version ("id state" lines, in series order).
want_fixes() { want_table "$KR_TOP/tests/expect-fixes" "$1"; }
# want_table FILE SOURCE_VERSION: the column of FILE for that version.
want_table() {
	awk -v v="$2" '
	function cmp(a, b,  x, y, i, n) {	# version compare: -1, 0, 1
		n = split(a, x, "."); split(b, y, ".")
		for (i = 1; i <= 3; i++) if (x[i] + 0 != y[i] + 0) return x[i] + 0 < y[i] + 0 ? -1 : 1
		return 0 }
	function line(a,  x) { split(a, x, "."); return x[1] "." x[2] }
	/^# id/ { for (i = 3; i <= NF; i++) {
			c = i - 1
			if (line($i) != line(v)) continue
			if (cmp($i, v) <= 0 && (best == "" || cmp($i, bestv) > 0)) { best = c; bestv = $i }
			if (low == "" || cmp($i, lowv) < 0) { low = c; lowv = $i }
		}
		if (best == "") best = low
		next }
	/^#/ || NF == 0 { next }
	best != "" { print $1, $best }' "$1"
}

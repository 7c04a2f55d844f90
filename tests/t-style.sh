#!/bin/bash
# Every patch is checkpatch-clean and carries a DEP-3 style header that
# names its upstream commit (or says why it is not forwarded).
. "$(dirname "$0")/lib.sh"

# checkpatch ships in every linux-source; use the 6.12 one the build uses,
# extracted once by the builder's extractor.
from=$("$KB" resolve KVER="$T_KVER_612" | kr_field SOURCE_ORIGIN)
cpt=$KR_CACHE/checkpatch/$(basename "$from")
if [ ! -f "$cpt/.kr-done" ]; then
	(extract_subset "$from" "$cpt" Makefile virt/kvm arch/riscv/kvm scripts/checkpatch.pl \
		scripts/spelling.txt scripts/const_structs.checkpatch) && touch "$cpt/.kr-done"
fi
cp=$cpt/scripts/checkpatch.pl
check "checkpatch.pl found in the linux-source-6.12 the build uses" test -f "$cp"
cd "$T_WORK" || exit 1
stable_url='https://git\.kernel\.org/pub/scm/linux/kernel/git/stable/linux\.git/tag/\?h=v[0-9]+\.[0-9]+\.[0-9]+$'
# dep3 PATCH: the header problems of a patch (none: empty).  The header
# is what precedes the first "---" line.
dep3() {
	local h n=${1#"$KR_TOP"/}
	h=$(sed -n '1,/^---$/p' "$1")
	hdr_has() { grep -Eq -- "$1" <<<"$h"; }
	# The author stays; a header without one says why in its note.
	hdr_has '^From: .+' || hdr_has 'no From: is given' || echo "no From:"
	hdr_has '^Subject: .+' || echo "no Subject:"
	hdr_has '^Last-Update: [0-9]{4}-[0-9]{2}-[0-9]{2}$' || echo "no Last-Update: YYYY-MM-DD"
	if [[ $n == patches/local/* ]]; then
		hdr_has '^Forwarded: not-needed' || echo "a local patch without Forwarded: not-needed"
		return
	fi
	# An upstream commit, by URL; "backport" when adapted, and then the
	# adaptation is said in a [kvm-riscv: ...] note.
	# A fix known only from a stable release names that release, and its
	# note says why the mainline commit is not named.
	if hdr_has "^Origin: backport, $stable_url"; then
		hdr_has '^Applied-Upstream: [0-9]+\.[0-9]+\.[0-9]+ \(stable\)$' ||
			echo "no Applied-Upstream: <stable release> (stable)"
		hdr_has 'could not be read offline' || echo "a stable origin without the note why mainline's commit is not named"
	else
		hdr_has '^Origin: (upstream|backport), https://git\.kernel\.org/linus/[0-9a-f]{40}$' ||
			echo "no Origin: upstream|backport, https://git.kernel.org/linus/<40-hex id>"
		hdr_has '^Applied-Upstream: [0-9]+\.[0-9]+$' || echo "no Applied-Upstream: <version>"
	fi
	if hdr_has '^Origin: backport,'; then
		hdr_has '^\[kvm-riscv: ' || echo "a backport without a [kvm-riscv: ...] note on the adaptation"
	fi
	# A Link: trailer stays; a header without one says so in its note.
	hdr_has '^Link: https://lore\.kernel\.org/' || hdr_has 'no Link: trailer is recorded' ||
		echo "upstream's Link: tag dropped"
}
for p in "$KR_TOP"/patches/*/*.patch "$KR_TOP"/patches/*/*/*.patch; do
	[ -f "$p" ] || continue
	n=${p#"$KR_TOP"/}
	# No kernel git tree here to look the ids up in: they are checked
	# against the header's Origin line below instead.
	check "checkpatch clean: $n" perl "$cp" --no-tree --no-signoff -q \
		--ignore UNKNOWN_COMMIT_ID "$p"
	bad=$(dep3 "$p")
	check "DEP-3 header exact: $n${bad:+ ($(echo $bad))}" test -z "$bad"
done
# The header check fails where a header is wrong: an adapted patch that
# says upstream with no note, an old-style Origin, a dropped Link:.
p=$(ls "$KR_TOP"/patches/01-*/6.12/*.patch | head -1)
sed -e 's/^Origin: backport, /Origin: upstream, commit /; /^Link: /d; s/^Applied-Upstream: .*/&-rc1 (stable)/' \
	"$p" > "$T_WORK/bad.patch"
bad=$(dep3 "$T_WORK/bad.patch")
said() { grep -q -- "$1" <<<"$bad"; }
check "DEP-3 check rejects a wrong header ($(echo $bad))" \
	eval 'said "no Origin" && said "no Applied-Upstream" && said "Link: tag dropped"'

# Each fix's own upstream commit is in its patches; earlier ones are its
# prerequisites, later ones upstream's fixes of it (Fixes: <id>).
. "$KR_TOP/src/series.sh"
own_then_fixes() { # DIR ID
	local p seen=
	for p in "$1"/*.patch; do
		if grep -Eq "^Origin: (upstream|backport), https://git.kernel.org/linus/$2" "$p" ||
			{ [[ $2 == stable-* ]] && grep -Eq "^Origin: backport, $stable_url" "$p"; }; then seen=1
		elif [ -n "$seen" ]; then grep -q "^Fixes: $2 " "$p" || return 1; fi
	done
	[ -n "$seen" ]
}
for fix in $(series_fixes); do
	id=$(fix_id "$fix")
	for d in "$fix" "$fix"/*/; do
		ls "$d"/*.patch >/dev/null 2>&1 || continue
		check "${d#"$KR_TOP"/} carries upstream $id, then only its Fixes: follow-ups" own_then_fixes "$d" "$id"
	done
done
t_done

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
for p in "$KR_TOP"/patches/*/*.patch "$KR_TOP"/patches/*/*/*.patch; do
	[ -f "$p" ] || continue
	n=${p#"$KR_TOP"/}
	# No kernel git tree here to look the ids up in: they are checked
	# against the header's Origin line below instead.
	check "checkpatch clean: $n" perl "$cp" --no-tree --no-signoff -q \
		--ignore UNKNOWN_COMMIT_ID "$p"
	# DEP-3: who wrote it, what it is, and when the header was last checked.
	check "DEP-3 From: $n" grep -Eq '^From: .+' "$p"
	check "DEP-3 Subject: $n" grep -Eq '^Subject: .+' "$p"
	check "DEP-3 Last-Update (YYYY-MM-DD): $n" grep -Eq '^Last-Update: [0-9]{4}-[0-9]{2}-[0-9]{2}$' "$p"
	if [[ $n == patches/local/* ]]; then
		check "local patch says it is not forwarded: $n" grep -q '^Forwarded: not-needed' "$p"
	else
		check "upstream patch names a full commit id: $n" \
			grep -Eq '^Origin: upstream, commit [0-9a-f]{40}$' "$p"
		check "upstream patch names its release: $n" grep -Eq '^Applied-Upstream: v[0-9]' "$p"
	fi
done

# The last patch of each fix is that fix's own upstream commit; earlier
# ones are its prerequisites.
. "$KR_TOP/src/series.sh"
for fix in $(series_fixes); do
	id=$(fix_id "$fix")
	for d in "$fix" "$fix"/*/; do
		last=$(ls "$d"/*.patch 2>/dev/null | tail -1)
		[ -n "$last" ] || continue
		check "last patch in ${d#"$KR_TOP"/} is upstream $id" \
			grep -q "^Origin: upstream, commit $id" "$last"
	done
done
t_done

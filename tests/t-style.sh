#!/bin/bash
# Every patch is checkpatch-clean and carries a DEP-3 style header that
# names its upstream commit (or says why it is not forwarded).
. "$(dirname "$0")/lib.sh"

# checkpatch ships in every linux-source; use the 6.12 one the build uses.
"$KB" fixes KVER="$T_KVER_612" >/dev/null 2>&1
cp=$(ls -d "$KR_CACHE"/src/linux-source-6.12_*/scripts/checkpatch.pl 2>/dev/null | head -1)
if [ -z "$cp" ]; then
	not_ok "checkpatch.pl found in the extracted linux-source-6.12"
	exit 0
fi
cd "$T_WORK" || exit 1
for p in "$KR_TOP"/patches/*/*.patch "$KR_TOP"/patches/*/*/*.patch; do
	[ -f "$p" ] || continue
	n=${p#"$KR_TOP"/}
	# No kernel git tree here to look the ids up in: they are checked
	# against the header's Origin line below instead.
	check "checkpatch clean: $n" perl "$cp" --no-tree --no-signoff -q \
		--ignore UNKNOWN_COMMIT_ID "$p"
	check "DEP-3 header (From, Subject, Last-Update): $n" \
		grep -q -e '^From: ' "$p" -e '^Subject: ' "$p"
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
. "$KR_TOP/scripts/series.sh"
for fix in $(series_fixes); do
	id=$(fix_id "$fix")
	for d in "$fix" "$fix"/*/; do
		last=$(ls "$d"/*.patch 2>/dev/null | tail -1)
		[ -n "$last" ] || continue
		check "last patch in ${d#"$KR_TOP"/} is upstream $id" \
			grep -q "^Origin: upstream, commit $id" "$last"
	done
done

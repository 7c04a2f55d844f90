# shellcheck shell=bash
# The backport series: per-fix detection and application.  Sourced.
#
# patches/NN-name/fix names the upstream commit and defines two predicates,
# run inside the pristine tree:
#   applicable  the code the fix changes exists in this source
#   present     this source already has the fix
# Patches sit in patches/NN-name/ (every kernel line) or in
# patches/NN-name/X.Y/ (one line).  Each fix ends in exactly one state:
# upstream, applied or not-applicable (or excluded, when EXCLUDE names
# it); anything else stops the build.

# Predicate helpers (cwd: the tree).
has() { [ -f "$1" ] && grep -Eq -- "$2" "$1"; }
# body FUNC FILE: a C function's definition, from its name to the closing brace.
body() { [ -f "$2" ] && awk -v f="$1" '
	!on && $0 ~ "^[a-z].*[ *]" f "\\(" && $0 !~ /;[[:space:]]*$/ { on = 1 }
	on { print } on && /^}/ { exit }' "$2"; }

# series_fixes: the fix directories in order.
series_fixes() {
	local d
	for d in "$KR_TOP"/patches/[0-9]*/; do
		[ -f "$d/fix" ] && echo "${d%/}"
	done
}

# fix_patches FIXDIR LINE: the patch files that serve kernel line LINE
# (none: empty, not an error; the caller says what is missing).
fix_patches() {
	if [ -d "$1/$2" ]; then
		ls "$1/$2"/*.patch 2>/dev/null || true
	else
		ls "$1"/*.patch 2>/dev/null || true
	fi
}

# fix_eval FIXDIR TREE PREDICATE: run a predicate of a fix inside TREE.
fix_eval() {
	( cd "$2" && unset -f applicable present && . "$1/fix" && "$3" )
}

# An upstream commit id, or stable-<name> for a fix known only from a
# stable release (its mainline id not known here).
fix_id() { sed -n 's/^upstream=\([0-9a-f]*\|stable-[a-z0-9-]*\)$/\1/p' "$1/fix"; }
# fix_dir ID: the series' fix directory of that id.
fix_dir() { dirname "$(grep -lx "upstream=$1" "$KR_TOP"/patches/*/fix)"; }
# catalogue_entries DIR: the catalogue's entry files, named by mainline id
# or, for a fix known only from a stable release, stable-<name>.
catalogue_entries() { find "$1" -maxdepth 1 -type f \( -name '[0-9a-f]*' -o -name 'stable-*' \) | sort; }

# series_apply TREE LINE: detect and apply.  Prints "<id> <state>" lines;
# exits non-zero (via die) on a conflict, naming the fix and the hunk.
series_apply() {
	local tree=$1 line=$2 fix id p out state ex=${EXCLUDE:-}
	for fix in $(series_fixes); do
		id=$(fix_id "$fix")
		# EXCLUDE: fixes left out on purpose (a bisection, a control).
		if [[ " ${ex//,/ } " == *" $id "* ]]; then
			state=excluded
		elif ! fix_eval "$fix" "$tree" applicable; then
			state=not-applicable
		elif fix_eval "$fix" "$tree" present; then
			state=upstream
		else
			p=$(fix_patches "$fix" "$line")
			[ -n "$p" ] || die2 "fix $id ($(basename "$fix")) is missing here and the series has no patch for kernel line $line" \
				"add patches/$(basename "$fix")/$line/ or report the kernel to kvm-riscv"
			for p in $p; do
				# A prerequisite the source already carries is skipped.
				if patch -d "$tree" -p1 -R --dry-run -s -f -F0 <"$p" >/dev/null 2>&1; then
					msg "$id: $(basename "$p") is already in the source, skipped"
					continue
				fi
				if ! out=$(patch -d "$tree" -p1 --dry-run -N -f -F0 <"$p" 2>&1); then
					local how="the source differs from what the patch expects; refresh patches/$(basename "$fix")"
					[ -z "$ex" ] || how="$how; or EXCLUDE=$ex left out a fix this patch is written on: exclude $id too, or keep that one"
					die2 "fix $id does not apply: $(basename "$p"): $(printf '%s\n' "$out" |
						awk '/^(patching|checking) file/{f=$3} /FAILED|can.t find/{print f": "$0}' |
						head -3 | tr '\n' ';')" "$how"
				fi
				patch -d "$tree" -p1 -N -s -f -F0 <"$p" >/dev/null ||
					die "fix $id: applying $(basename "$p") failed after a clean dry run"
			done
			# The detector must agree with the patch it guards.
			fix_eval "$fix" "$tree" present ||
				die "fix $id: patched, but its 'present' check does not see the fix (series bug)"
			state=applied
		fi
		echo "$id $state"
	done
	# Our own patches (not upstream fixes) go on every kernel.
	for p in "$KR_TOP"/patches/local/*.patch; do
		[ -f "$p" ] || continue
		out=$(patch -d "$tree" -p1 -N -f -F0 --no-backup-if-mismatch <"$p" 2>&1) ||
			die "local patch $(basename "$p") does not apply: $(printf '%s' "$out" | grep -m1 FAILED)"
	done
}

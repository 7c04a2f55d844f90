#!/bin/bash
# make audit: the catalogue of upstream RISC-V KVM fixes (catalogue/)
# against Debian's sources gives the measured table (tests/expect-audit),
# the catalogue agrees with the series, and a wrong predicate is caught.
. "$(dirname "$0")/lib.sh"
. "$KR_TOP/src/series.sh"
CAT=$KR_TOP/catalogue

# --- the catalogue itself ----------------------------------------------
n=0 bad=
for e in $(catalogue_entries "$CAT"); do
	n=$((n + 1)); id=$(basename "$e")
	# shellcheck disable=SC1090
	msgs=$( ( . "$e"
		[ "$upstream" = "$id" ] || echo "$id: upstream=$upstream"
		[ -n "$subject" ] || echo "$id: no subject"
		# A stable-* entry gives the stable release that first carried it.
		[[ $release =~ ^v[0-9]+\.[0-9]+$ ]] || { [[ $id == stable-* ]] && [[ $release =~ ^v[0-9]+\.[0-9]+\.[0-9]+$ ]]; } ||
			echo "$id: release '$release'"
		case $reach in guest|vmm|host) ;; *) echo "$id: reach '$reach'" ;; esac
		case $severity in high|medium|low) ;; *) echo "$id: severity '$severity'" ;; esac
		case $kind in fix|hardening|perf|cleanup|feature) ;; *) echo "$id: kind '$kind'" ;; esac
		if [ -n "$series" ]; then
			[ "$(fix_id "$KR_TOP/patches/$series")" = "$id" ] ||
				grep -rqs "linus/$id" "$KR_TOP/patches/$series" ||
				echo "$id: series=$series neither is nor carries it"
		else
			[ -n "$why" ] || echo "$id: not carried and no why"
			declare -F applicable >/dev/null && declare -F present >/dev/null ||
				echo "$id: no predicates"
		fi ) 2>&1)
	bad="$bad$msgs"
done
check "catalogue: $n entries, each with id, subject, release, reach, severity, kind and predicates or a series fix" \
	test -z "$bad"
[ -z "$bad" ] || printf '#   %s\n' $bad
missing=
for fix in $(series_fixes); do
	id=$(fix_id "$fix")
	[ -f "$CAT/$id" ] || missing="$missing $id"
done
check "every fix of the series has its catalogue entry${missing:+ (missing:$missing)}" test -z "$missing"

# --- the table, per source -----------------------------------------------
audit() { "$KR_TOP/scripts/audit" ALL=1 "$@" 2>"$T_WORK/audit.err" | awk 'NR > 1 {print $1, $2}' | sort; }
S=$KR_CACHE/debs
src61=$(kr_fetch "linux-source-6.1=$(kr_candidate linux-source-6.1 all)")
v61=$(basename "$src61" | sed 's/^linux-source-6.1_\([0-9.]*\)-.*/\1/')
for k in "KSRC=$src61:$v61" "KVER=$T_KVER_612:" "KVER=$T_KVER_612_OLD:" "KVER=$T_KVER_72:"; do
	arg=${k%:*} v=${k##*:}
	[ -n "$v" ] || v=$("$KB" resolve "$arg" | kr_field SOURCE_VERSION)
	got=$(audit "$arg")
	want=$(want_table "$KR_TOP/tests/expect-audit" "$v" | sort)
	summary=$(grep "^kvm-riscv: Linux $v:" "$T_WORK/audit.err" | sed 's/^kvm-riscv: //')
	check "make audit $arg: the measured table ($summary)" [ "$got" = "$want" ]
	[ "$got" = "$want" ] || diff <(echo "$want") <(echo "$got") | sed 's/^/#   /' | head -10
	# The series table and the audit agree on the carried fixes.
	[ "${arg%%=*}" = KVER ] || continue
	d=$(join <(echo "$got") <("$KB" fixes "$arg" 2>/dev/null | sort) | awk '$2 != $3 && !($3 == "not-applicable" && $2 == "not-applicable")')
	check "make audit $arg and make fixes agree on the carried fixes" test -z "$d"
done

# --- a wrong predicate is caught -------------------------------------------
# A present() that always says yes (the stub a careless entry would be)
# turns a fix 6.12 lacks into "upstream", and the table check sees it.
doc=$T_WORK/catalogue; cp -a "$CAT" "$doc"
id=9eac3744db94
printf 'present() { true; }\n' >> "$doc/$id"
got=$(KVM_RISCV_CATALOGUE=$doc audit "KVER=$T_KVER_612")
want=$(want_table "$KR_TOP/tests/expect-audit" "$(kr_field SOURCE_VERSION < <("$KB" resolve KVER="$T_KVER_612"))" | sort)
check "an entry whose present() always says yes fails the table check ($id: $(grep "^$id " <<<"$got" | cut -d' ' -f2), the table wants missing)" \
	sh -c '[ "$1" != "$2" ] && grep -qx "$3 upstream" <<EOT
$1
EOT' sh "$got" "$want" "$id"
t_done

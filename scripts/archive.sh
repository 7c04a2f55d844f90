# shellcheck shell=bash
# The Debian archive, read through a private apt (developer tools only).
# Sourced after scripts/lib.sh.

# kr_memo FILE STAMP CMD...: CMD's output, remembered in FILE until STAMP
# (the mtimes of what CMD reads) changes; with no STAMP, not remembered.
kr_memo() {
	local f=$1 stamp=$2 out
	shift 2
	if [ -n "$stamp" ] && [ -f "$f" ] && [ "$(head -1 "$f")" = "$stamp" ]; then
		tail -n +2 "$f"
		return 0
	fi
	out=$("$@")
	if [ -n "$stamp" ]; then
		mkdir -p "$(dirname "$f")"
		printf '%s\n%s\n' "$stamp" "$out" | sed '/^$/d' > "$f.$$" && mv "$f.$$" "$f"
	fi
	[ -z "$out" ] || printf '%s\n' "$out"
}

# The Debian mirror the host's apt already uses (override with
# KVM_RISCV_MIRROR / KVM_RISCV_SECURITY_MIRROR); read once, when the
# archive is first needed.
# _host_mirrors: "MIRROR SECURITY-MIRROR" of the host's apt, remembered
# until its sources or lists change (apt-cache policy reads every list).
_host_mirrors() {
	kr_memo "$KR_CACHE/apt/host-mirrors" \
		"$(stat -c %Y /var/lib/apt/lists /etc/apt/sources.list /etc/apt/sources.list.d 2>/dev/null | tr '\n' ' ')" \
		_host_mirrors_read
}
_host_mirrors_read() {
	apt-cache policy 2>/dev/null | awk '/Packages$/ {
		sec = ($3 ~ /-security\//); if (!(sec in m)) m[sec] = $2 } END { print m[0], m[1] }'
}

# Private apt over trixie, sid and bookworm(-backports) that never touches
# the host's sources or dpkg status.
#
# A mirror mid-sync serves a codename's index that its Release does not
# list; the suite alias (stable, unstable, ...) often lists exactly the
# served file.  An index that fails verification is retried through its
# alias, taken only when that Release's Codename is the one wanted, and
# apt verifies it as usual.  $d/suites records which name serves each
# codename (kr_suite reads it).
KR_APT_SUITES="trixie trixie-security sid bookworm bookworm-backports"
# Codename -> its suite alias, for the codenames the project reads.
_suite_alias() {
	case $1 in
	trixie) echo stable ;; trixie-security) echo stable-security ;;
	trixie-updates) echo stable-updates ;; trixie-backports) echo stable-backports ;;
	sid) echo unstable ;;
	bookworm) echo oldstable ;; bookworm-security) echo oldstable-security ;;
	bookworm-backports) echo oldstable-backports ;; bookworm-updates) echo oldstable-updates ;;
	esac
}

# _apt_sources SUITEMAP: the sources.list for "codename=served-name ..."
_apt_sources() {
	local o=${KVM_RISCV_MIRROR_OPTIONS:+ $KVM_RISCV_MIRROR_OPTIONS} m=$1
	_sm() { printf '%s\n' $m | kr_field "$1"; }
	cat <<-EOS
	deb [arch=amd64,riscv64$o] $KR_MIRROR $(_sm trixie) main
	${KR_SECURITY:+deb [arch=amd64$o] $KR_SECURITY $(_sm trixie-security) main}
	deb [arch=amd64,riscv64$o] $KR_MIRROR $(_sm sid) main
	deb [arch=amd64$o] $KR_MIRROR $(_sm bookworm) main
	deb [arch=amd64$o] $KR_MIRROR $(_sm bookworm-backports) main
	deb-src [$o] $KR_MIRROR $(_sm trixie) main
	deb-src [$o] $KR_MIRROR $(_sm sid) main
	EOS
}

# _apt_update SUITEMAP: write the sources and run apt-get update; prints
# the served names whose indexes failed (empty on success).
_apt_update() {
	local d=$KR_CACHE/apt
	_apt_sources "$1" | sed 's/\[ *\] //' > "$d/sources.list"
	if apt-get "${KR_APT_OPTS[@]}" -q update >"$d/update.log" 2>&1 &&
		! grep -q '^[EW]: Failed to fetch' "$d/update.log"; then
		return 0
	fi
	# "E: Failed to fetch URI/dists/NAME/main/..." names each bad index.
	sed -n 's|^[EW]: Failed to fetch [^ ]*/dists/\([^/ ]*\)/.*|\1|p' "$d/update.log" | sort -u
	# An update that failed without naming an index (mirror unreachable).
	grep -q '^[EW]: Failed to fetch [^ ]*/dists/' "$d/update.log" || echo '*'
}

kr_apt_setup() {
	local d=$KR_CACHE/apt map='' c bad a newmap served codename hm hs
	if [ -z "${KR_MIRROR+set}" ] || [ -z "${KR_SECURITY+set}" ]; then
		read -r hm hs <<<"$(_host_mirrors)" || true
		[ -n "${KR_MIRROR+set}" ] || KR_MIRROR=${KVM_RISCV_MIRROR:-${hm:-}}
		[ -n "${KR_SECURITY+set}" ] || KR_SECURITY=${KVM_RISCV_SECURITY_MIRROR:-${hs:-}}
	fi
	[ -n "$KR_MIRROR" ] || die2 "no Debian mirror is configured in apt on this host" \
		"set KVM_RISCV_MIRROR to a Debian mirror URL"
	mkdir -p "$d/lists/partial" "$d/cache/archives/partial"
	KR_APT_OPTS=(-o Dir::Etc::sourcelist="$d/sources.list"
		-o Dir::Etc::sourceparts=/dev/null -o Dir::State::Lists="$d/lists"
		-o Dir::Cache="$d/cache" -o Dir::State::status=/dev/null
		# apt writes no binary cache by default: each apt-cache call would
		# parse all lists again (~8 s; 0.25 s with the cache).
		-o Dir::Cache::pkgcache="$d/cache/pkgcache.bin"
		-o Dir::Cache::srcpkgcache="$d/cache/srcpkgcache.bin"
		-o APT::Architectures::=amd64 -o APT::Architectures::=riscv64
		-o APT::Sandbox::User=root -o Debug::NoLocking=1
		-o Acquire::Check-Valid-Until=false -o Acquire::Retries=3)
	# Lists are refreshed once a day (point releases move), and whenever
	# the mirror or the layout of the suite map changed.
	if [ -f "$d/suites" ] && [ "$(sed -n 's/^mirror=//p' "$d/suites")" = "$KR_MIRROR $KR_SECURITY" ] &&
		[ -n "$(find "$d/suites" -mmin -1440)" ]; then
		return 0
	fi
	for c in $KR_APT_SUITES; do map="$map $c=$c"; done
	msg "updating the package lists (trixie, sid, bookworm) ..."
	bad=$(_apt_update "$map")
	if [ "$bad" = '*' ]; then
		rm -f "$d/suites"
		die2 "apt-get update failed: $(grep -m1 '^[EW]:' "$d/update.log") (log: $d/update.log)" \
			"check that $KR_MIRROR is reachable, or set KVM_RISCV_MIRROR to another Debian mirror"
	fi
	if [ -n "$bad" ]; then
		newmap=
		for c in $KR_APT_SUITES; do
			served=$c
			if printf '%s\n' "$bad" | grep -qx "$c"; then
				a=$(_suite_alias "$c")
				[ -n "$a" ] || _apt_bad "$c" "it has no suite alias to try"
				msg "warning: $c's index failed verification ($(grep -m1 "Failed to fetch .*/dists/$c/" "$d/update.log" |
					sed 's/.*Failed to fetch //' | cut -c1-160)); trying its alias $a"
				served=$a
			fi
			newmap="$newmap $c=$served"
		done
		bad=$(_apt_update "$newmap")
		if [ -n "$bad" ]; then
			a=$(printf '%s\n' "$bad" | head -1)
			c=$(printf '%s\n' $newmap | sed -n "s/=$a\$//p" | head -1)
			_apt_bad "${c:-$a}" "so does the suite that serves it now ($a)"
		fi
		# An alias is taken only where its Release names the codename.
		for c in $newmap; do
			served=${c#*=}; codename=${c%%=*}
			[ "$served" = "$codename" ] && continue
			a=$(_release_codename "$served")
			[ "$a" = "$codename" ] || [ "$a" = "${codename%%-*}" ] ||
				_apt_bad "$codename" "its alias $served is Codename '${a:-?}' on $KR_MIRROR, not ${codename%%-*}"
			msg "$codename: served by the alias $served (Release Codename: $a), verified by apt"
		done
		map=$newmap
	fi
	printf 'mirror=%s %s\n%s\n' "$KR_MIRROR" "$KR_SECURITY" "$(printf '%s\n' $map)" > "$d/suites"
}

# _release_codename NAME: the Codename of the Release apt fetched for NAME.
_release_codename() {
	local f
	for f in "$KR_CACHE/apt/lists/"*_dists_"$1"_InRelease "$KR_CACHE/apt/lists/"*_dists_"$1"_Release; do
		[ -f "$f" ] && sed -n 's/^Codename: *//p' "$f" | head -1 && return
	done
}

_apt_bad() {
	rm -f "$KR_CACHE/apt/suites"
	die2 "the index of $1 on $KR_MIRROR fails apt's verification and $2 (log: $KR_CACHE/apt/update.log)" \
		"the mirror is mid-sync or broken: retry later, or set KVM_RISCV_MIRROR to another Debian mirror"
}

# kr_suite CODENAME: the suite name that serves it (the codename, or its
# alias when the codename's index failed); for mmdebstrap and madison.
kr_suite() {
	local s
	s=$(kr_field "$1" < "$KR_CACHE/apt/suites" 2>/dev/null)
	echo "${s:-$1}"
}

# kr_default_kver: Debian 13's current riscv64 kernel, read from the
# archive so that a new point release needs no change here.
kr_default_kver() {
	local v
	v=$(kr_apt_cache madison linux-headers-riscv64:riscv64 |
		awk -F'|' -v s=" $(kr_suite trixie)/" 'index($3, s) {gsub(/ /,"",$2); print $2}' | head -1)
	[ -n "$v" ] || die "cannot find Debian 13's riscv64 kernel in the archive"
	kr_apt_cache show "linux-headers-riscv64:riscv64=$v" |
		sed -n 's/^Depends:.*linux-headers-\([^ ,]*-riscv64\).*/\1/p' | head -1
}

kr_apt_cache() { apt-cache "${KR_APT_OPTS[@]}" "$@"; }

# kr_fetch PKG[:ARCH][=VER]... -> prints the .deb paths, downloading
# into $KR_CACHE/debs only what is not there yet.
kr_fetch() {
	local dir=$KR_CACHE/debs spec name arch ver f
	mkdir -p "$dir"
	for spec in "$@"; do
		name=${spec%%=*}; ver=; [ "$name" != "$spec" ] && ver=${spec#*=}
		arch=all; case $name in *:*) arch=${name#*:}; name=${name%%:*};; esac
		[ -n "$ver" ] || ver=$(kr_candidate "$name" "$arch")
		[ -n "$ver" ] || die2 "package $name ($arch) is not in the archive" \
			"check the kernel release name; 'apt-cache search $name' lists what exists"
		# apt writes an epoch as %3a in file names.
		f=$(ls "$dir/${name}_${ver/:/%3a}_"*.deb "$dir/${name}_${ver#*:}_"*.deb 2>/dev/null | head -1)
		if [ -z "$f" ]; then
			msg "downloading $name $ver ..."
			(cd "$dir" && apt-get "${KR_APT_OPTS[@]}" -q download "$name:$arch=$ver" >/dev/null) ||
				die "could not download $name $ver"
			f=$(ls "$dir/${name}_${ver/:/%3a}_"*.deb "$dir/${name}_${ver#*:}_"*.deb 2>/dev/null | head -1)
			[ -n "$f" ] || die "downloaded $name $ver but cannot find its .deb in $dir"
		fi
		echo "$f"
	done
}

# Newest version of a package for an architecture (all = any).
kr_candidate() {
	local a=$2
	[ "$a" = all ] && a=amd64
	kr_versions "$1:$a" | _newest_deb_version
	# madison lists :all packages under every architecture.
}

# kr_versions PKG:ARCH: every version of it in the archive, one a line.
# Remembered per package until the lists change (apt-get update renames
# files into lists/, which moves its mtime): apt-cache reads every list.
kr_versions() {
	kr_memo "$KR_CACHE/apt/versions/${1//\//_}" "$(stat -c %Y "$KR_CACHE/apt/lists" 2>/dev/null)" \
		_madison_versions "$1"
}
_madison_versions() {
	kr_apt_cache madison "$1" 2>/dev/null | awk -F'|' '{gsub(/ /,"",$2); print $2}'
}

# Newest of the Debian versions on stdin, by dpkg's ordering (~ sorts low).
_newest_deb_version() {
	local v best=
	while read -r v; do
		if [ -z "$best" ] || dpkg --compare-versions "$v" gt "$best"; then best=$v; fi
	done
	echo "$best"
}


# source_deb_version X.Y X.Y.Z: the archive's linux-source-X.Y of that very
# point release, when it still has it (empty otherwise: the newest is used).
source_deb_version() {
	kr_versions "linux-source-$1:amd64" | grep "^$2-" | _newest_deb_version
}

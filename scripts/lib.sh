# shellcheck shell=bash
# Common helpers for kvm-riscv scripts.  Sourced, never run.

KR_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Downloads, Debian roots and extracted sources live outside the clone so
# that a fresh clone (and CI) reuses them.
KR_CACHE=${KVM_RISCV_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kvm-riscv}
# The Debian mirror the host's apt already uses (override with
# KVM_RISCV_MIRROR / KVM_RISCV_SECURITY_MIRROR).
_host_mirror() {
	apt-cache policy 2>/dev/null | awk -v want="$1" '/Packages$/ {
		sec = ($3 ~ /-security\//); if (sec == want) { print $2; exit } }'
}
KR_MIRROR=${KVM_RISCV_MIRROR:-$(_host_mirror 0)}
KR_SECURITY=${KVM_RISCV_SECURITY_MIRROR:-$(_host_mirror 1)}
KR_VERSION=$(cat "$KR_TOP/VERSION" 2>/dev/null || echo 0)

msg() { printf 'kvm-riscv: %s\n' "$*" >&2; }
die() { printf 'kvm-riscv: error: %s\n' "$*" >&2; exit 1; }
# A second line after die's first one tells the user what to do.
die2() { printf 'kvm-riscv: error: %s\n  -> %s\n' "$1" "$2" >&2; exit 1; }

need_root() {
	[ "$(id -u)" = 0 ] || die2 "$1 needs root" "run it as root (sudo)"
}

host_arch() { dpkg --print-architecture 2>/dev/null || uname -m; }

# Private apt over trixie, sid and bookworm(-backports) that never touches
# the host's sources or dpkg status.
kr_apt_setup() {
	local d=$KR_CACHE/apt
	[ -n "$KR_MIRROR" ] || die2 "no Debian mirror is configured in apt on this host" \
		"set KVM_RISCV_MIRROR to a Debian mirror URL"
	mkdir -p "$d/lists/partial" "$d/cache/archives/partial"
	cat > "$d/sources.list.new" <<-EOS
	deb [arch=amd64,riscv64] $KR_MIRROR trixie main
	${KR_SECURITY:+deb [arch=amd64] $KR_SECURITY trixie-security main}
	deb [arch=amd64,riscv64] $KR_MIRROR sid main
	deb [arch=amd64] $KR_MIRROR bookworm main
	deb [arch=amd64] $KR_MIRROR bookworm-backports main
	deb-src $KR_MIRROR trixie main
	deb-src $KR_MIRROR sid main
	EOS
	mv "$d/sources.list.new" "$d/sources.list"
	KR_APT_OPTS=(-o Dir::Etc::sourcelist="$d/sources.list"
		-o Dir::Etc::sourceparts=/dev/null -o Dir::State::Lists="$d/lists"
		-o Dir::Cache="$d/cache" -o Dir::State::status=/dev/null
		-o APT::Architectures::=amd64 -o APT::Architectures::=riscv64
		-o APT::Sandbox::User=root -o Debug::NoLocking=1
		-o Acquire::Check-Valid-Until=false -o Acquire::Retries=3)
	# Lists older than a day are refreshed; point releases move.
	if [ -z "$(find "$d/lists" -maxdepth 1 -name '*Packages*' -mmin -1440 2>/dev/null | head -1)" ]; then
		msg "updating the package lists (trixie, sid, bookworm) ..."
		if ! apt-get "${KR_APT_OPTS[@]}" -q update >"$d/update.log" 2>&1; then
			# A mirror mid-sync fails one index; yesterday's lists still
			# name real packages, so go on with them when there are any.
			[ -n "$(find "$d/lists" -maxdepth 1 -name '*Packages*' | head -1)" ] ||
				die2 "apt-get update failed (see $d/update.log)" \
					"check that $KR_MIRROR is reachable or set KVM_RISCV_MIRROR"
			msg "warning: apt-get update failed ($(grep -m1 '^E:' "$d/update.log")); using the lists from $(date -r "$d/lists" +%F)"
		fi
	fi
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
kr_versions() { kr_apt_cache madison "$1" 2>/dev/null | awk -F'|' '{gsub(/ /,"",$2); print $2}'; }

# Newest of the Debian versions on stdin, by dpkg's ordering (~ sorts low).
_newest_deb_version() {
	local v best=
	while read -r v; do
		if [ -z "$best" ] || dpkg --compare-versions "$v" gt "$best"; then best=$v; fi
	done
	echo "$best"
}


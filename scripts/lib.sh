# shellcheck shell=bash
# Common helpers of the developer tools (not shipped in the DKMS tree).
# Sourced; defines functions and the cache location only.

KR_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
. "$KR_TOP/src/lib.sh"
# Downloads, Debian roots and extracted sources live outside the clone so
# that a fresh clone (and CI) reuses them.
KR_CACHE=${KVM_RISCV_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kvm-riscv}

# depmod, modinfo and chroot live in sbin, which a user's PATH may lack.
case ":$PATH:" in *:/usr/sbin:*) ;; *) PATH=$PATH:/usr/sbin:/sbin ;; esac

need_root() {
	[ "$(id -u)" = 0 ] || die2 "$1 needs root" "run it as root (sudo)"
}

# kr_need CMD:PKG...: every command a step uses, checked before it starts.
# As root on Debian the missing packages are
# installed; otherwise the error gives the exact apt-get line.
kr_need() {
	local spec pkgs='' log=${TMPDIR:-/tmp}/kvm-riscv-host-install.log
	for spec; do
		command -v "${spec%%:*}" >/dev/null 2>&1 || pkgs="$pkgs ${spec#*:}"
	done
	[ -n "$pkgs" ] || return 0
	pkgs=$(printf '%s\n' $pkgs | sort -u | tr '\n' ' '); pkgs=${pkgs% }
	if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
		die2 "missing host tools (packages: $pkgs)" "apt-get install $pkgs"
	fi
	msg "installing host tools: $pkgs ..."
	# A new machine may have no package lists yet.
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $pkgs >"$log" 2>&1 ||
		{ apt-get update -q >>"$log" 2>&1 &&
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $pkgs >>"$log" 2>&1; } ||
		die2 "could not install $pkgs (log: $log)" "apt-get update && apt-get install $pkgs"
}

host_arch() { dpkg --print-architecture 2>/dev/null || uname -m; }

# kr_version: the project's version, from its one source, debian/changelog.
kr_version() {
	# A server building its module package needs no dpkg-dev: the first
	# line of the changelog says it, "kvm-riscv (VERSION) ...".
	if ! command -v dpkg-parsechangelog >/dev/null 2>&1 && [ "$(host_arch)" = riscv64 ]; then
		sed -n '1s/^[^ ]* (\([^)]*\)).*/\1/p' "$KR_TOP/debian/changelog"
		return
	fi
	kr_need dpkg-parsechangelog:dpkg-dev
	dpkg-parsechangelog -l "$KR_TOP/debian/changelog" -S Version
}

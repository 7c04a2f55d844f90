# shellcheck shell=bash
# Debian build roots for cross-building from a non-riscv64 host.  Sourced.
#
# A kernel is built with the compiler its headers name (gcc-14 for trixie's
# 6.12, gcc-16 for sid's 7.2); the root is the first suite that ships that
# cross compiler.  Roots live in $KR_CACHE/root/<suite> and are made once.

KR_ROOT_PKGS="make binutils-riscv64-linux-gnu kmod xz-utils pahole libelf1t64 libssl3t64 zlib1g perl patch"

# root_suite_for_cc gcc-N -> suite name
root_suite_for_cc() {
	local cc=$1 suite
	for suite in trixie sid; do
		if kr_apt_cache madison "$cc-riscv64-linux-gnu:amd64" 2>/dev/null |
			grep -q " $suite/main"; then
			echo "$suite"; return
		fi
	done
	die2 "no Debian suite ships the cross compiler $cc-riscv64-linux-gnu" \
		"this kernel's compiler is not packaged for x86; build on a riscv64 host instead"
}

# root_ensure SUITE CC -> prints the root path, creating it on first use.
root_ensure() {
	local suite=$1 cc=$2 root=$KR_CACHE/root/$1 pkgs
	pkgs="$KR_ROOT_PKGS $cc-riscv64-linux-gnu ${KR_ROOT_EXTRA:-}"
	if [ -x "$root/usr/bin/riscv64-linux-gnu-$cc" ] && [ -f "$root/.kr-pkgs" ] &&
		[ "$(cat "$root/.kr-pkgs")" = "$pkgs" ]; then
		echo "$root"; return
	fi
	need_root "creating the Debian $suite build root"
	if ! command -v mmdebstrap >/dev/null; then
		msg "installing mmdebstrap (makes the $suite build root) ..."
		apt-get install -y -q --no-install-recommends mmdebstrap >/dev/null 2>&1 ||
			die2 "mmdebstrap is missing and could not be installed" "apt-get install mmdebstrap"
	fi
	msg "creating the Debian $suite build root in $root (once; ~1 min) ..."
	rm -rf "$root.tmp"
	mkdir -p "$KR_CACHE/root"
	if ! mmdebstrap --variant=apt --quiet --include="${pkgs// /,}" \
		--aptopt='Acquire::Retries "3"' \
		--aptopt='Acquire::Check-Valid-Until "false"' \
		"$suite" "$root.tmp" "deb [arch=amd64,riscv64] $KR_MIRROR $suite main" \
		>"$KR_CACHE/root/$suite.log" 2>&1; then
		rm -rf "$root.tmp"
		die2 "could not create the $suite root (log: $KR_CACHE/root/$suite.log)" \
			"check that $KR_MIRROR is reachable"
	fi
	echo "$pkgs" > "$root.tmp/.kr-pkgs"
	rm -rf "$root"
	mv "$root.tmp" "$root"
	echo "$root"
}

# root_add_kernel ROOT KVER: unpack that kernel's headers (riscv64 + common)
# and kbuild (amd64) into the root.  The riscv64 headers cannot be apt-
# installed into an amd64 root (they depend on a native gcc), so dpkg-deb -x.
root_add_kernel() {
	local root=$1 kver=$2 base deb
	[ -e "$root/usr/src/linux-headers-$kver/.config" ] && return 0
	base=${kver%-riscv64}
	msg "unpacking headers for $kver into the build root ..."
	for deb in $(kr_fetch "linux-headers-$kver:riscv64" "linux-headers-$base-common" \
		"linux-kbuild-$base:amd64"); do
		dpkg-deb -x "$deb" "$root" || die "could not unpack $deb (corrupt download? remove it and retry)"
	done
	[ -e "$root/lib/modules/$kver/build" ] || [ -e "$root/usr/lib/modules/$kver/build" ] ||
		die "headers for $kver lack lib/modules/$kver/build"
}

# root_run ROOT DIRS CMD...: run CMD in the root with each of the
# space-separated DIRS bound at the same path.  A private mount namespace
# drops every mount when CMD exits.
root_run() {
	local root=$1 dirs=$2; shift 2
	unshare --mount --propagation private /bin/sh -e -c '
		root=$1 dirs=$2; shift 2
		for d in $dirs; do
			mkdir -p "$root$d"; mount --bind "$d" "$root$d"
		done
		mkdir -p "$root/proc" "$root/dev"
		mount -t proc proc "$root/proc"
		mount --rbind /dev "$root/dev"
		exec chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
			HOME=/root LANG=C.UTF-8 "$@"' sh "$root" "$dirs" "$@"
}

# shellcheck shell=bash
# Debian build roots for cross-building from a non-riscv64 host.  Sourced.
#
# A kernel is built with the compiler its headers name (gcc-14 for trixie's
# 6.12, gcc-16 for sid's 7.2); the root is the first suite that ships that
# cross compiler.  Roots live in $KR_CACHE/root/<suite> and are made once.

# The riscv64 libc and uapi headers build the test VMM and selftests.
KR_ROOT_PKGS="make binutils-riscv64-linux-gnu kmod xz-utils pahole libelf1t64 libssl3t64 zlib1g perl patch
	libc6-dev-riscv64-cross linux-libc-dev-riscv64-cross"

# root_suite_for_cc gcc-N -> suite name
root_suite_for_cc() {
	local cc=$1 suite
	for suite in trixie sid; do
		if kr_apt_cache madison "$cc-riscv64-linux-gnu:amd64" 2>/dev/null |
			grep -q " $(kr_suite "$suite")/main"; then
			echo "$suite"; return
		fi
	done
	die2 "no Debian suite ships the cross compiler $cc-riscv64-linux-gnu" \
		"this kernel's compiler is not packaged for x86; build on a riscv64 host instead"
}

# root_ensure SUITE CC -> prints the root path, creating it on first use.
root_ensure() {
	local suite=$1 cc=$2 root=$KR_CACHE/root/$1 pkgs
	pkgs=$(echo $KR_ROOT_PKGS "$cc-riscv64-linux-gnu")
	if [ -x "$root/usr/bin/riscv64-linux-gnu-$cc" ] && [ -f "$root/.kr-pkgs" ] &&
		[ "$(cat "$root/.kr-pkgs")" = "$pkgs" ]; then
		echo "$root"; return
	fi
	need_root "creating the Debian $suite build root"
	kr_need mmdebstrap:mmdebstrap unshare:util-linux
	msg "creating the Debian $suite build root in $root (once; ~1 min) ..."
	rm -rf "$root.tmp"
	mkdir -p "$KR_CACHE/root"
	if ! mmdebstrap --variant=apt --quiet --include="${pkgs// /,}" \
		--aptopt='Acquire::Retries "3"' \
		--aptopt='Acquire::Check-Valid-Until "false"' \
		"$(kr_suite "$suite")" "$root.tmp" \
		"deb [arch=amd64,riscv64] $KR_MIRROR $(kr_suite "$suite") main" \
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

# kr_kbuild_base KVER: the linux-kbuild package (name suffix) whose host
# tools build for KVER: its own, or, once the archive has dropped it, the
# nearest point release of the same line and ABI suffix.  Kbuild's host
# tools and Makefiles take no part in a module's code, and within a stable
# line they write the same module (t-build compares both byte for byte).
# KVM_RISCV_KBUILD=<X.Y.Z+debNN> chooses one.
kr_kbuild_base() {
	local base=${1%-riscv64} line cands best='' v bn d bd
	if [ -n "${KVM_RISCV_KBUILD:-}" ]; then echo "$KVM_RISCV_KBUILD"; return; fi
	[ -n "$(kr_candidate "linux-kbuild-$base" amd64)" ] && { echo "$base"; return; }
	line=${base%.*}; v=${base%%+*}; v=${v##*.}
	cands=$(kr_apt_cache search --names-only "^linux-kbuild-${line//./\\.}\\.[0-9]+\\+${base#*+}\$" 2>/dev/null |
		awk '{print $1}' | sed 's/^linux-kbuild-//')
	for bn in $cands; do
		d=${bn%%+*}; d=${d##*.}; d=$((d > v ? d - v : v - d))
		if [ -z "$best" ] || [ "$d" -lt "$bd" ]; then best=$bn; bd=$d; fi
	done
	[ -n "$best" ] || { msg "error: package linux-kbuild-$base (amd64) is not in the archive, nor any kbuild of Linux $line"
		msg "  -> build on a riscv64 host, or name a kbuild with KVM_RISCV_KBUILD=<X.Y.Z+debNN>"; return 1; }
	msg "note: linux-kbuild-$base (amd64) is no longer in the archive; using linux-kbuild-$best, the nearest of the $line line"
	echo "$best"
}

# root_add_kernel ROOT KVER: unpack that kernel's headers (riscv64 + common)
# and kbuild (amd64) into the root.  The riscv64 headers cannot be apt-
# installed into an amd64 root (they depend on a native gcc), so dpkg-deb -x.
root_add_kernel() {
	local root=$1 kver=$2 base kb debs deb hdr
	base=${kver%-riscv64}
	hdr=$root/usr/src/linux-headers-$kver
	kb=$(kr_kbuild_base "$kver") || exit 1
	[ -e "$hdr/.config" ] && [ "$(cat "$hdr/.kr-kbuild" 2>/dev/null)" = "$kb" ] && return 0
	msg "unpacking headers for $kver (kbuild $kb) into the build root ..."
	debs=$(kr_fetch "linux-headers-$kver:riscv64" "linux-headers-$base-common" \
		"linux-kbuild-$kb:amd64") || exit 1
	# A link left by an earlier substitute goes before the real one lands.
	[ ! -L "$root/usr/lib/linux-kbuild-$base" ] || rm -f "$root/usr/lib/linux-kbuild-$base"
	for deb in $debs; do
		dpkg-deb -x "$deb" "$root" || die "could not unpack $deb (corrupt download? remove it and retry)"
	done
	# The headers reach kbuild through /usr/lib/linux-kbuild-<their own>.
	if [ "$kb" != "$base" ]; then
		rm -rf "$root/usr/lib/linux-kbuild-$base"
		ln -s "linux-kbuild-$kb" "$root/usr/lib/linux-kbuild-$base"
	fi
	[ -e "$root/lib/modules/$kver/build" ] || [ -e "$root/usr/lib/modules/$kver/build" ] ||
		die "headers for $kver lack lib/modules/$kver/build"
	echo "$kb" > "$hdr/.kr-kbuild"
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

# shellcheck shell=bash
# A Debian 13 system for the DKMS tests.  Sourced after tests/lib.sh.
#
# The base root ($KR_CACHE/root/dkms-trixie, made by root_ensure) has dkms,
# the riscv64 cross compiler, linux-source-6.12/7.2 and the riscv64 headers
# of two test kernels, installed with dpkg as an operator would (the
# riscv64 headers with --force-depends: they want a native gcc).  Each test
# run works in an overlay on top of it (root_run with ROOT_LOWER), so every
# run starts from the same clean system and leaves the base untouched.
# dpkg knows riscv64 but apt reads no riscv64 index: the riscv64 .debs come
# from kr_fetch, so a mirror whose riscv64 index is mid-sync does not stop
# the root.
. "$KR_TOP/scripts/root.sh"
. "$KR_TOP/tests/bed/setup.sh"

DK_PKGS="dkms make patch xz-utils kmod openssl file binutils-riscv64-linux-gnu
	gcc-14-riscv64-linux-gnu bc build-essential linux-base pahole libelf1t64 libssl3t64"

# The kernels whose headers the base root has (a third one is installed by
# the tests, through its package's hooks).
DK_KERNELS="${T_KVER_612:-6.12.107+deb13-riscv64} ${T_KVER_72:-7.2.13+deb14-riscv64}"

# dk_base: the base root, DK_BASE.
dk_base() {
	local s612 s72
	# The linux-source packages of the kernels' own point releases where
	# the archive has them, as on a server that upgrades both together.
	kr_apt_setup
	s612=$(source_deb_version 6.12 "$(echo "$DK_KERNELS" | grep -o '6\.12\.[0-9]*' | head -1)")
	s72=$(source_deb_version 7.2 "$(echo "$DK_KERNELS" | grep -o '7\.2\.[0-9]*' | head -1)")
	DK_SOURCES="linux-source-6.12${s612:+=$s612} linux-source-7.2${s72:+=$s72}"
	DK_BASE=$(ROOT_SETUP=_dk_setup ROOT_STAMP="$DK_KERNELS | $DK_SOURCES" root_ensure dkms-trixie trixie \
		"$DK_PKGS" --customize-hook='chroot "$1" dpkg --add-architecture riscv64') || exit 1
}

# The sources and kernels, installed with dpkg into the new root.
_dk_setup() {
	local root=$1 deb k
	# linux-source is an arch-all tarball; sid's depends on trixie's
	# xz-utils and binutils in all but version.
	for deb in $(kr_fetch $DK_SOURCES); do
		cp "$deb" "$root/tmp/"
		root_run "$root" "" dpkg -i --force-depends "/tmp/$(basename "$deb")" || return 1
		rm -f "$root/tmp/$(basename "$deb")"
	done
	for k in $DK_KERNELS; do
		dk_add_kernel "$root" -- "$k" || return 1
	done
}

# dk_kernel_debs KVER: the .debs that make a kernel's headers (in install
# order) - kbuild, common headers, riscv64 headers.
dk_kernel_debs() {
	local base=${1%-riscv64} kb
	kb=$(kr_kbuild_base "$1") || return 1
	kr_fetch "linux-kbuild-$kb:amd64" "linux-headers-$base-common" "linux-headers-$1:riscv64"
}

# dk_add_kernel ROOT -- KVER: install a kernel's headers with dpkg (which
# runs the header_postinst.d hooks, DKMS's among them) and put its stock
# kvm.ko where the linux-image package would.  ROOT is the root itself,
# or the mount point of a throw-away system (ROOT_LOWER set).  Prints
# dpkg's output.
dk_add_kernel() {
	local root=$1 k=$3 st deb debs
	bed_kernel "$k" >&2
	# Staged under the project directory, which every run binds.
	st=$KR_TOP/build/.dk-stage/$k
	rm -rf "$st"; mkdir -p "$st"
	cp "$BED_K/kvm.ko" "$st/kvm.ko"
	debs=$(dk_kernel_debs "$k") || return 1
	for deb in $debs; do cp "$deb" "$st/"; done
	root_run "$root" "$KR_TOP" /bin/sh -c 'st=$1 k=$2
		install -D -m 644 "$st/kvm.ko" "/lib/modules/$k/kernel/arch/riscv/kvm/kvm.ko"
		touch "/lib/modules/$k/modules.order" "/lib/modules/$k/modules.builtin" \
			"/lib/modules/$k/modules.builtin.modinfo"
		depmod "$k"
		cd "$st"
		# kbuild for a sid kernel wants a newer libc: only its scripts matter.
		dpkg -i --force-depends linux-kbuild-*.deb >/dev/null &&
		dpkg -i --force-depends linux-headers-*-common_*.deb >/dev/null &&
		dpkg -i --force-depends linux-headers-*_riscv64.deb || exit 1
		# A substitute kbuild (kr_kbuild_base) under the name the headers use.
		b=${k%-riscv64} kb=$(dpkg-deb -f linux-kbuild-*.deb Package)
		[ "$kb" = "linux-kbuild-$b" ] || ln -sfn "$kb" "/usr/lib/linux-kbuild-$b"' sh "$st" "$k"
	local rc=$?
	rm -rf "$st"
	return $rc
}

# dk_run DIR CMD...: run CMD in a throw-away system on the base root whose
# changes live in DIR (they persist across calls with the same DIR); the
# project is bound at its path.
dk_run() {
	local d=$1; shift
	ROOT_LOWER=$DK_BASE root_run "$d/m" "$KR_TOP" "$@"
}

# dk_module KVER: prints the path of the kvm.ko that `dkms install` puts in
# updates/dkms for KVER, made in a throw-away system on the base root when
# missing or older than the project's DKMS tree (stamped by its content).
dk_module() {
	local k=$1 dest=$KR_TOP/build/dkms/$1 stamp d v
	stamp=$(cd "$KR_TOP" && find dkms.conf debian/changelog src patches -type f | sort | xargs cat | sha256sum | cut -c1-16)
	if [ -s "$dest/kvm.ko" ] && [ "$(cat "$dest/stamp" 2>/dev/null)" = "$stamp" ]; then
		echo "$dest/kvm.ko"; return 0
	fi
	dk_base
	v=$(kr_version)
	d=$(mktemp -d)
	msg "building the DKMS module for $k (dkms install in a Debian 13 system) ..."
	# A kernel the base system lacks is installed into this one.
	if [ ! -e "$DK_BASE/usr/src/linux-headers-$k/.config" ]; then
		ROOT_LOWER=$DK_BASE dk_add_kernel "$d/m" -- "$k" >"$d/log" 2>&1 ||
			{ tail -5 "$d/log" >&2; rm -rf "$d"; die "could not install the headers of $k"; }
	fi
	if ! dk_run "$d" /bin/sh -c "make -s -C '$KR_TOP' install-src &&
		dkms add -m kvm-riscv -v '$v' >/dev/null &&
		dkms install -m kvm-riscv -v '$v' -k '$k' -a riscv64" >"$d/log" 2>&1; then
		tail -5 "$d/log" >&2; rm -rf "$d"
		die "dkms install for $k failed"
	fi
	mkdir -p "$dest"
	cp "$d/m.u/usr/lib/modules/$k/updates/dkms/kvm.ko" "$dest/kvm.ko" ||
		{ rm -rf "$d"; die "dkms install left no updates/dkms/kvm.ko for $k"; }
	echo "$stamp" > "$dest/stamp"
	rm -rf "$d"
	echo "$dest/kvm.ko"
}

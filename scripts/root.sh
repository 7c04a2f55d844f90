# shellcheck shell=bash
# Debian roots: one maker (root_ensure) and one runner (root_run) for every
# root the project uses - the cross-build roots, the DKMS test system and
# the packaging root.  Sourced after scripts/lib.sh and scripts/archive.sh.
#
# A kernel is built with the compiler its headers name (gcc-14 for trixie's
# 6.12, gcc-16 for sid's 7.2); its build root is the first suite that ships
# that cross compiler.  The build roots also build the test VMM and the KVM
# selftests: riscv64 libc and uapi headers, and a host gcc for the
# kernel's header tools.
KR_ROOT_PKGS="make binutils-riscv64-linux-gnu kmod xz-utils pahole libelf1t64 libssl3t64 zlib1g perl patch
	libc6-dev-riscv64-cross linux-libc-dev-riscv64-cross gcc libc6-dev"

# root_ensure NAME SUITE PACKAGES [MMDEBSTRAP-OPTION...] -> prints the path
# of $KR_CACHE/root/NAME, made once with mmdebstrap.  ROOT_SETUP names a
# function run on the new root (its path as argument) before it is
# published; ROOT_STAMP adds what that setup depends on.  A root whose
# recipe changed is made again.
root_ensure() {
	local name=$1 suite=$2 pkgs root=$KR_CACHE/root/$1 want log; shift 2
	pkgs=$(echo $1); shift
	want="$suite | $pkgs | $* | ${ROOT_STAMP:-}"
	if [ -f "$root/.kr-root" ] && [ "$(cat "$root/.kr-root")" = "$want" ]; then
		echo "$root"; return
	fi
	need_root "creating the Debian root $name"
	kr_need mmdebstrap:mmdebstrap unshare:util-linux
	case " $* " in *" --arch=riscv64 "*) root_binfmt ;; esac
	kr_apt_setup
	log=$KR_CACHE/root/$name.log
	msg "creating the Debian $suite root $name in $root (once; 1-2 min) ..."
	rm -rf "$root.tmp"
	mkdir -p "$KR_CACHE/root"
	if ! mmdebstrap --variant=apt --quiet --include="${pkgs// /,}" \
		--aptopt='Acquire::Retries "3"' \
		--aptopt='Acquire::Check-Valid-Until "false"' "$@" \
		"$(kr_suite "$suite")" "$root.tmp" \
		"deb [arch=amd64,riscv64] $KR_MIRROR $(kr_suite "$suite") main" >"$log" 2>&1; then
		rm -rf "$root.tmp"
		die2 "could not create the Debian root $name (log: $log)" "check that $KR_MIRROR is reachable"
	fi
	if [ -n "${ROOT_SETUP:-}" ]; then
		"$ROOT_SETUP" "$root.tmp" >>"$log" 2>&1 || { rm -rf "$root.tmp"
			die "could not set up the Debian root $name (log: $log)"; }
	fi
	echo "$want" > "$root.tmp/.kr-root"
	rm -rf "$root"
	mv "$root.tmp" "$root"
	echo "$root"
}

# root_binfmt: riscv64 programs run here (a riscv64 root's maintainer
# scripts): QEMU's user-mode emulator registered with binfmt_misc, with
# the F flag so that it works inside a chroot.  Changes the host's
# binfmt_misc registrations (qemu-user-static's own, enabled).
root_binfmt() {
	[ "$(host_arch)" = riscv64 ] && return 0
	need_root "running riscv64 programs under qemu-user"
	kr_need qemu-riscv64-static:qemu-user-static update-binfmts:binfmt-support arch-test:arch-test
	[ -e /proc/sys/fs/binfmt_misc/status ] || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc ||
		die2 "cannot mount binfmt_misc" "this container may forbid it: build the riscv64 root on a machine that allows it"
	[ -e /proc/sys/fs/binfmt_misc/qemu-riscv64 ] || update-binfmts --enable qemu-riscv64 >/dev/null 2>&1 ||
		die2 "could not register qemu-riscv64 with binfmt_misc" "update-binfmts --enable qemu-riscv64"
	arch-test riscv64 >/dev/null 2>&1 ||
		die2 "riscv64 programs do not run under qemu-user here" "check /proc/sys/fs/binfmt_misc/qemu-riscv64 (flags: F)"
}

# root_suite_for_cc gcc-N -> the first suite that ships its cross compiler
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

# root_for_cc gcc-N -> the build root with that cross compiler
root_for_cc() {
	local suite
	kr_apt_setup
	suite=$(root_suite_for_cc "$1") || exit 1
	root_ensure "$suite" "$suite" "$KR_ROOT_PKGS $1-riscv64-linux-gnu"
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

# root_run ROOT DIRS CMD...: run CMD in ROOT with each of the space-
# separated DIRS bound at the same path.  A private mount namespace drops
# every mount when CMD exits.  With ROOT_LOWER set, ROOT is first mounted
# as an overlay of ROOT_LOWER (changes kept in ROOT.u): a throw-away
# system on a clean base.  ROOT_SYSFS is bound as /sys.
root_run() {
	local root=$1 dirs=$2; shift 2
	ROOT_LOWER=${ROOT_LOWER:-} ROOT_SYSFS=${ROOT_SYSFS:-} \
	unshare --mount --propagation private /bin/sh -e -c '
		root=$1 dirs=$2; shift 2
		if [ -n "$ROOT_LOWER" ]; then
			mkdir -p "$root" "$root.u" "$root.w"
			mount -t overlay overlay -o "lowerdir=$ROOT_LOWER,upperdir=$root.u,workdir=$root.w" "$root"
		fi
		for d in $dirs; do
			mkdir -p "$root$d"; mount --bind "$d" "$root$d"
		done
		mkdir -p "$root/proc" "$root/dev" "$root/sys"
		mount -t proc proc "$root/proc"
		mount --rbind /dev "$root/dev"
		[ -z "$ROOT_SYSFS" ] || mount --bind "$ROOT_SYSFS" "$root/sys"
		exec chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
			HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"' sh "$root" "$dirs" "$@"
}

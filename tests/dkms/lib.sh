# shellcheck shell=bash
# A Debian 13 system for the DKMS and packaging tests.  Sourced.
#
# The base root ($KR_CACHE/root/dkms-trixie) is made once: dkms, dh-dkms,
# the riscv64 cross compiler, linux-source-6.12/7.2 and the riscv64 headers
# of the test kernels, installed with dpkg as an operator would (the
# riscv64 headers with --force-depends: they want a native gcc).  Each test
# run works in an overlay on top of it, so every run starts from the same
# clean system and leaves the base untouched.  dpkg knows riscv64 but apt
# reads no riscv64 index: the riscv64 .debs come from kr_fetch, so a
# mirror whose riscv64 index is mid-sync does not stop the root.

DK_LAYOUT=3
DK_PKGS="dkms dh-dkms debhelper dpkg-dev fakeroot lintian make patch xz-utils kmod openssl
	file binutils-riscv64-linux-gnu gcc-14-riscv64-linux-gnu bc build-essential
	linux-base pahole libelf1t64 libssl3t64"

# The kernels whose headers the base root has (a third one is installed by
# the tests, through its package's hooks).
DK_KERNELS="${T_KVER_612:-6.12.107+deb13-riscv64} ${T_KVER_72:-7.2.13+deb14-riscv64}"

# dk_base: the base root, DK_BASE.
dk_base() {
	local root=$KR_CACHE/root/dkms-trixie want k deb
	# The linux-source packages of the kernels' own point releases where
	# the archive has them, as on a server that upgrades both together.
	. "$KR_TOP/scripts/source.sh"
	kr_apt_setup
	local s612 s72 debs
	s612=$(source_deb_version 6.12 "$(echo "$DK_KERNELS" | grep -o '6\.12\.[0-9]*' | head -1)")
	s72=$(source_deb_version 7.2 "$(echo "$DK_KERNELS" | grep -o '7\.2\.[0-9]*' | head -1)")
	want="$DK_LAYOUT | $DK_PKGS | $DK_KERNELS | $s612 $s72"
	DK_BASE=$root
	[ -f "$root/.kr-dkms" ] && [ "$(cat "$root/.kr-dkms")" = "$want" ] && return
	need_root "creating the DKMS test root"
	kr_need mmdebstrap:mmdebstrap unshare:util-linux
	msg "creating the DKMS test root in $root (once; ~2 min) ..."
	rm -rf "$root.tmp"
	mkdir -p "$KR_CACHE/root"
	mmdebstrap --variant=apt --quiet --include="$(echo $DK_PKGS | tr ' ' ,)" \
		--aptopt='Acquire::Retries "3"' --aptopt='Acquire::Check-Valid-Until "false"' \
		--customize-hook='chroot "$1" dpkg --add-architecture riscv64' \
		"$(kr_suite trixie)" "$root.tmp" "deb [arch=amd64] $KR_MIRROR $(kr_suite trixie) main" \
		>"$KR_CACHE/root/dkms-trixie.log" 2>&1 ||
		{ rm -rf "$root.tmp"; die "could not create the DKMS test root (log: $KR_CACHE/root/dkms-trixie.log)"; }
	# linux-source is an arch-all tarball; sid's depends on trixie's
	# xz-utils and binutils in all but version.
	debs=$(kr_fetch "linux-source-6.12${s612:+=$s612}" "linux-source-7.2${s72:+=$s72}") ||
		die "could not download linux-source-6.12 and linux-source-7.2"
	for deb in $debs; do
		cp "$deb" "$root.tmp/tmp/"
		dk_chroot "$root.tmp" dpkg -i --force-depends "/tmp/$(basename "$deb")" >>"$KR_CACHE/root/dkms-trixie.log" 2>&1 ||
			die "could not install $(basename "$deb") into the DKMS root"
	done
	rm -f "$root.tmp/tmp/"*.deb
	for k in $DK_KERNELS; do
		dk_add_kernel dk_chroot "$root.tmp" -- "$k" >>"$KR_CACHE/root/dkms-trixie.log" 2>&1 ||
			die "could not install the headers of $k into the DKMS root (log: $KR_CACHE/root/dkms-trixie.log)"
	done
	echo "$want" > "$root.tmp/.kr-dkms"
	rm -rf "$root"; mv "$root.tmp" "$root"
}

# dk_kernel_debs KVER: the .debs that make a kernel's headers (in install
# order) - kbuild, common headers, riscv64 headers.
dk_kernel_debs() {
	local base=${1%-riscv64} kb
	. "$KR_TOP/scripts/root.sh"
	kb=$(kr_kbuild_base "$1") || return 1
	kr_fetch "linux-kbuild-$kb:amd64" "linux-headers-$base-common" "linux-headers-$1:riscv64"
}

# dk_add_kernel RUNNER... -- KVER: install a kernel's headers with dpkg
# (which runs the header_postinst.d hooks, DKMS's among them) and put its
# stock kvm.ko where the linux-image package would.  RUNNER runs a command
# in the system (dk_chroot ROOT, dk_run DIR).  Prints dpkg's output.
dk_add_kernel() {
	local run=() k st deb debs
	while [ "$1" != -- ]; do run+=("$1"); shift; done
	k=$2
	. "$KR_TOP/tests/bed/setup.sh"
	bed_kernel "$k" >&2
	# Staged under the project directory, which every run binds.
	st=$KR_TOP/build/.dk-stage/$k
	rm -rf "$st"; mkdir -p "$st"
	cp "$BED_K/kvm.ko" "$st/kvm.ko"
	debs=$(dk_kernel_debs "$k") || return 1
	for deb in $debs; do cp "$deb" "$st/"; done
	"${run[@]}" /bin/sh -c 'st=$1 k=$2
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

# dk_chroot ROOT CMD...: run CMD in ROOT (private mounts, project bound).
# With DK_LOWER set, ROOT is first mounted as an overlay: DK_LOWER below,
# ROOT.u/ROOT.w holding the changes.
dk_chroot() {
	local root=$1; shift
	unshare --mount --propagation private /bin/sh -e -c '
		root=$1 top=$2; shift 2
		if [ -n "${DK_LOWER:-}" ]; then
			mkdir -p "$root" "$root.u" "$root.w"
			mount -t overlay overlay -o "lowerdir=$DK_LOWER,upperdir=$root.u,workdir=$root.w" "$root"
		fi
		mkdir -p "$root$top" "$root/proc" "$root/dev" "$root/sys"
		mount --bind "$top" "$root$top"
		mount -t proc proc "$root/proc"
		mount --rbind /dev "$root/dev"
		[ -z "${DK_SYSFS:-}" ] || mount --bind "$DK_SYSFS" "$root/sys"
		exec chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
			HOME=/root LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"' \
		sh "$root" "$KR_TOP" "$@"
}

# dk_run DIR CMD...: run CMD in a throw-away system on the base root whose
# changes live in DIR (they persist across calls with the same DIR).
dk_run() {
	local d=$1; shift
	(export DK_LOWER=$DK_BASE; dk_chroot "$d/m" "$@")
}

# dk_module KVER: prints the path of the kvm.ko that `dkms install` puts in
# updates/dkms for KVER, made in a throw-away system on the base root when
# missing or older than the project's DKMS tree (stamped by its content).
dk_module() {
	local k=$1 dest=$KR_TOP/build/dkms/$1 stamp d
	stamp=$(cd "$KR_TOP" && find dkms.conf VERSION scripts src patches -type f | sort | xargs cat | sha256sum | cut -c1-16)
	if [ -s "$dest/kvm.ko" ] && [ "$(cat "$dest/stamp" 2>/dev/null)" = "$stamp" ]; then
		echo "$dest/kvm.ko"; return 0
	fi
	dk_base
	d=$(mktemp -d)
	msg "building the DKMS module for $k (dkms install in a Debian 13 system) ..."
	if ! dk_run "$d" /bin/sh -c "make -s -C '$KR_TOP' install-src &&
		dkms add -m kvm-riscv -v '$KR_VERSION' >/dev/null &&
		dkms install -m kvm-riscv -v '$KR_VERSION' -k '$k' -a riscv64" >"$d/log" 2>&1; then
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

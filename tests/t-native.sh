#!/bin/bash
# The native riscv64 DKMS build (make check-native; slow: TCG).  A Debian 13
# riscv64 system - dkms, gcc-14, the kernel's headers and linux-source of
# its point release, as apt would install them - is unpacked into an
# initramfs; the real Debian kernel boots it under QEMU and runs
# `dkms install` and `modprobe kvm` natively (tests/native/init).
. "$(dirname "$0")/lib.sh"
. "$KR_TOP/tests/bed/setup.sh"

K=$T_KVER_612 V=$KR_VERSION
kr_apt_setup
bed_qemu
bed_kernel "$K" >/dev/null

# The package closure, resolved by apt for riscv64 from the project's lists
# (dpkg's Essential set named, as debootstrap would add it).
debs=$KR_CACHE/native/$K
mkdir -p "$debs/partial"
pkgs="dkms gcc-14 make kmod xz-utils patch libc6-dev bc file openssl bash coreutils dash
	diffutils findutils grep sed tar gzip util-linux mawk debianutils libc-bin dpkg
	linux-headers-$K linux-image-$K"
if ! apt-get "${KR_APT_OPTS[@]}" -o APT::Architecture=riscv64 -o Dir::Cache::archives="$debs" \
	-t trixie install --download-only -y -q --no-install-recommends $pkgs >"$T_WORK/apt.log" 2>&1; then
	not_ok "download the riscv64 packages: $(grep -m1 '^E:' "$T_WORK/apt.log")"
	t_done; exit 1
fi
kv=${K%%+*} mm=$(echo "$K" | cut -d. -f1,2)
sv=$(source_deb_version "$mm" "$kv")
src=$(kr_fetch "linux-source-$mm${sv:+=$sv}") || exit 1

# Unpacked as dpkg would, then what maintainer scripts would add: the
# merged-/usr links and the alternatives the build calls.
r=$T_WORK/native
mkdir -p "$r"
# dpkg's database too (status, file lists), as on a server: the module
# package's build reads the kernel's version from it, dpkg -i checks the
# package's dependencies against it.
mkdir -p "$r/var/lib/dpkg/info" "$r/var/lib/dpkg/updates"
: > "$r/var/lib/dpkg/available"
for f in "$debs"/*.deb "$src"; do
	dpkg-deb -x "$f" "$r" || { not_ok "unpack $f"; t_done; exit 1; }
	p=$(dpkg-deb -f "$f" Package)
	[ "$(dpkg-deb -f "$f" Multi-Arch)" = same ] && p=$p:$(dpkg-deb -f "$f" Architecture)
	{ dpkg-deb -f "$f" | sed '1a Status: install ok installed'; echo; } >> "$r/var/lib/dpkg/status"
	dpkg-deb -c "$f" | awk '{print $NF}' | sed 's|^\./|/|; s|^/$|/.|; s|/$||' > "$r/var/lib/dpkg/info/$p.list"
done
for d in bin sbin lib; do
	if [ -d "$r/$d" ] && [ ! -L "$r/$d" ]; then cp -a "$r/$d/." "$r/usr/$d/" && rm -rf "${r:?}/$d"; fi
	ln -sfn "usr/$d" "$r/$d"
done
ln -sf mawk "$r/usr/bin/awk"
ln -sf which.debianutils "$r/usr/bin/which"
# linux-image's postinst: DKMS runs depmod only where modules.dep exists.
depmod -b "$r" "$K"
make -s -C "$KR_TOP" install-src DESTDIR="$r"
# The project itself, for the native module package (make modules-deb).
mkdir -p "$r/root/kvm-riscv"
(cd "$KR_TOP" && git ls-files -z | xargs -0 tar -c) | tar -C "$r/root/kvm-riscv" -x
install -m 755 "$KR_TOP/tests/native/init" "$r/init"
(cd "$r" && find . | cpio -o -H newc --quiet) > "$T_WORK/native.cpio"
rm -rf "$r"

log=$KR_TOP/build/native-$K.log
bed_system "$log" "${NATIVE_TIMEOUT:-3600}" "$T_WORK/native.cpio" NAT
nat() { bed_field "$log" NAT "$1"; }

check "the guest finished ($BED_SECS s, QEMU exit $BED_RC; log: $log)" grep -qx 'DONE' <(bed_lines "$log" NAT)
check "dkms install on riscv64 for $K: $(nat 'dkms-install-rc=')" \
	test "$(nat 'dkms-install-rc=' | cut -d' ' -f1)" = 0
check "dkms status: installed" grep -q "kvm-riscv/$V, $K, riscv64: installed" <<<"$(nat 'status=')"
check "modinfo -n kvm: updates/dkms" grep -q "^/lib/modules/$K/updates/dkms/kvm.ko" <<<"$(nat 'modinfo-path=')"
check "modprobe kvm loads kvm-riscv $V" test "$(nat 'modprobe-')" = ok -a "$(nat 'loaded-version=')" = "$V"
check "the load banner names the backport" grep -q 'kvm-riscv .* backport' <<<"$(nat 'banner: ')"
check "its fixes: 2d117e67f318 and af79caa83f6a applied" \
	grep -q '2d117e67f318=applied.*af79caa83f6a=applied' <<<"$(nat 'fixes=')"
check "signed with DKMS's MOK key (signer: $(nat 'signer='))" test -n "$(nat 'signer=')"

# The module package built natively (make modules-deb on the server), then
# installed with dpkg in place of the DKMS module.
imgver=$(dpkg-deb -f "$(ls "$debs"/linux-image-"$K"_*.deb)" Version)
check "native make modules-deb KVER=$K: $(nat 'modules-deb-rc=')" \
	test "$(nat 'modules-deb-rc=' | cut -d' ' -f1)" = 0
check "its package: $(nat 'mdeb=')" grep -q "^kvm-riscv-modules-${K}_${V}_riscv64.deb " <<<"$(nat 'mdeb=')"
check "Depends: linux-image-$K (= $imgver), kmod" test "$(nat 'mdeb-depends=')" = "linux-image-$K (= $imgver), kmod"
check "kvm.ko in /usr/lib/modules/$K/updates" test "$(nat 'mdeb-files=')" = "./usr/lib/modules/$K/updates/kvm.ko"
check "dpkg -i of it (the DKMS module removed first): $(nat 'dpkg-i-rc=')" test "$(nat 'dpkg-i-rc=')" = 0
check "modprobe kvm loads the package's kvm.ko ($(nat 'mdeb-modinfo-path='))" \
	test "$(nat 'mdeb-modinfo-path=')" = "/lib/modules/$K/updates/kvm.ko" -a "$(nat 'mdeb-loaded=')" = ok
read -r lsv fsv <<<"$(nat 'mdeb-srcversion=' | sed 's/file=//')"
check "the loaded kvm is the packaged file (srcversion $lsv)" test -n "$lsv" -a "$lsv" = "$fsv"
# Built natively or cross-built here: the same patched source (the
# srcversion differs: the source's name is compiled in, the tarball
# there, the .deb here), the same fixes.
ko=$("$KR_TOP/scripts/acquire" build KVER="$K" 2>/dev/null)
xtree=$(cd "$(dirname "$ko")/tree" && find arch/riscv/kvm virt/kvm -type f \( -name '*.[chS]' ! -name '*.mod.c' \) |
	LC_ALL=C sort | xargs cat | md5sum | cut -d' ' -f1)
xfix=$(modinfo -F kvm_riscv_fixes "$ko" 2>/dev/null)
check "its patched source is the cross build's (md5 of arch/riscv/kvm and virt/kvm: $xtree)" \
	test "$(nat 'mdeb-tree=')" = "$xtree"
check "and so is its fix table" test -n "$xfix" -a "$(nat 'mdeb-fixes=')" = "$xfix"
t_done

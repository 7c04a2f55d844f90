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
	diffutils findutils grep sed tar gzip util-linux mawk debianutils libc-bin
	linux-headers-$K"
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
for f in "$debs"/*.deb "$src"; do
	dpkg-deb -x "$f" "$r" || { not_ok "unpack $f"; t_done; exit 1; }
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
t_done

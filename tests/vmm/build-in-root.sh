#!/bin/bash
# Build kvmtest inside the project's Debian build root (which has the
# riscv64 cross compiler), adding the riscv64 libc and kernel headers to the
# root on first use.  Needs root (private mount namespace + chroot).
#
#   tests/vmm/build-in-root.sh OUTDIR [ROOT]
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=../../scripts/lib.sh
. "$top/scripts/lib.sh"
# shellcheck source=../../scripts/root.sh
. "$top/scripts/root.sh"

[ $# -ge 1 ] || die "usage: $0 OUTDIR [ROOT]"
out=$(realpath -m "$1")
root=${2:-$KR_CACHE/root/trixie}
need_root "building kvmtest in the Debian root"
[ -x "$root/usr/bin/riscv64-linux-gnu-gcc-14" ] ||
	die2 "no riscv64 cross compiler in $root" \
		"create the build root first (scripts/kvm-riscv-build does), or pass ROOT"

if [ ! -e "$root/usr/riscv64-linux-gnu/include/linux/kvm.h" ] ||
	[ ! -e "$root/usr/riscv64-linux-gnu/lib/libc.a" ]; then
	msg "installing riscv64 libc and kernel headers into $root ..."
	# The root's Release files may be past their Valid-Until date.
	root_run "$root" "" /bin/sh -c 'apt-get -q -o Acquire::Check-Valid-Until=false update &&
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
			libc6-dev-riscv64-cross linux-libc-dev-riscv64-cross' >&2 ||
		die "could not install libc6-dev-riscv64-cross into $root"
fi

mkdir -p "$out"
root_run "$root" "$top/tests/vmm $out" /usr/bin/env ${CC:+CC="$CC"} \
	/bin/sh "$top/tests/vmm/build.sh" "$out"

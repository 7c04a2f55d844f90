#!/bin/bash
# Build kvmtest inside the project's Debian build root (riscv64 cross
# compiler, libc and kernel headers).  Needs root (mount namespace + chroot).
#
#   tests/vmm/build-in-root.sh OUTDIR
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=../../scripts/lib.sh
. "$top/scripts/lib.sh"
# shellcheck source=../../scripts/root.sh
. "$top/scripts/archive.sh"
. "$top/scripts/root.sh"

[ $# -ge 1 ] || die "usage: $0 OUTDIR"
out=$(realpath -m "$1")
need_root "building kvmtest in the Debian root"
# The build root of Debian 13's kernels has the riscv64 libc and headers.
root=$(root_for_cc gcc-14) || exit 1

mkdir -p "$out"
root_run "$root" "$top/tests/vmm $out" /usr/bin/env ${CC:+CC="$CC"} \
	/bin/sh "$top/tests/vmm/build.sh" "$out"

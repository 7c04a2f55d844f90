#!/bin/sh
# Build the static riscv64 kvmtest binary into OUTDIR.
#
# Needs a riscv64 cross gcc ($CC, default riscv64-linux-gnu-gcc-14) with the
# riscv64 libc and kernel headers (Debian: libc6-dev-riscv64-cross,
# linux-libc-dev-riscv64-cross).  Runs wherever it is called; to use the
# project's Debian build root, see build-in-root.sh.
set -eu

out=${1:?usage: build.sh OUTDIR}
src=$(cd "$(dirname "$0")" && pwd)
cc=${CC:-riscv64-linux-gnu-gcc-14}
cflags="-Wall -Wextra -Werror -O2 -I$src"

mkdir -p "$out"
# No C in -march: payload instructions must all be 4 bytes (the trap
# handler skips with sepc += 4; guest.S also says .option norvc).  F/D stay
# in so that the object links with the lp64d host code.
# shellcheck disable=SC2086 # $cc and $cflags are word lists
$cc $cflags -march=rv64imafd_zicsr -mabi=lp64d -c -o "$out/guest.o" "$src/guest.S"
# shellcheck disable=SC2086
$cc $cflags -static -pthread -o "$out/kvmtest" \
	"$src/kvmtest.c" "$src/stats.c" "$src/pmu.c" "$src/hsm.c" "$src/bench.c" "$src/aia.c" "$src/fuzz.c" "$src/backports.c" "$out/guest.o"
rm -f "$out/guest.o"
echo "built $out/kvmtest"

#!/bin/sh
# Cross-build the riscv KVM selftests of a kernel source tree, statically,
# into OUTDIR: one binary per test (stripped, flattened: riscv/ebreak_test
# becomes ebreak_test), OUTDIR/tests listing them, OUTDIR/build.info.
#
#   build.sh TREE OUTDIR
#
# TREE is a kernel source tree holding at least Makefile, scripts,
# include/uapi, arch/riscv and tools (build-in-root.sh extracts that).
# Needs a riscv64 cross gcc ($CC, default riscv64-linux-gnu-gcc-14) with
# the riscv64 libc (Debian: libc6-dev-riscv64-cross) and a host gcc for
# the kernel's header tools.  Runs wherever it is called; to use the
# project's Debian build root, see build-in-root.sh.
set -eu

tree=${1:?usage: build.sh TREE OUTDIR}
out=${2:?usage: build.sh TREE OUTDIR}
cc=${CC:-riscv64-linux-gnu-gcc-14}
cross=riscv64-linux-gnu-
jobs=${JOBS:-$(nproc 2>/dev/null || echo 2)}
die() { echo "selftests build: error: $*" >&2; exit 1; }

[ -f "$tree/tools/testing/selftests/kvm/Makefile" ] ||
	die "$tree has no tools/testing/selftests/kvm (not an extracted kernel tree)"
command -v "$cc" >/dev/null || die "no cross compiler $cc (set CC=)"
command -v gcc >/dev/null || die "no host gcc: the kernel's header tools (fixdep, unifdef) need one"
t0=$(date +%s)

# The uapi headers come from this tree, never from the system's
# linux-libc-dev: the tests must see this kernel's KVM ABI.  Done once per
# tree; the marker is written only after a complete install.
if [ ! -f "$tree/.kr-headers" ]; then
	rm -rf "$tree/usr/include"
	make -s -C "$tree" ARCH=riscv CROSS_COMPILE=$cross HOSTCC=gcc headers >"$tree/headers.log" 2>&1 ||
		die "make headers failed in $tree (log: $tree/headers.log)"
	[ -f "$tree/usr/include/linux/kvm.h" ] && [ -f "$tree/usr/include/asm/kvm.h" ] ||
		die "make headers did not produce usr/include/linux/kvm.h and asm/kvm.h (log: $tree/headers.log)"
	touch "$tree/.kr-headers"
fi
t1=$(date +%s)

# Objects go beside the output and are dropped after success; the
# selftests Makefile writes nothing into the tree itself with OUTPUT=.
obj=$out/.obj
rm -rf "$obj"; mkdir -p "$obj"
# -static reaches both compile and link lines through EXTRA_CFLAGS.
if ! make -C "$tree/tools/testing/selftests/kvm" -j"$jobs" ARCH=riscv \
	CROSS_COMPILE=$cross CC="$cc" EXTRA_CFLAGS=-static OUTPUT="$obj" \
	>"$out/build.log" 2>&1; then
	grep -m5 -E 'error|Error' "$out/build.log" >&2 || tail -5 "$out/build.log" >&2
	die "the KVM selftests did not build with $cc (log: $out/build.log)"
fi
t2=$(date +%s)

# The test programs are the executables the Makefile produced (TEST_GEN_PROGS
# differs between kernel versions; lib/ holds only objects).
list=$(cd "$obj" && find . -path ./lib -prune -o -type f -perm -u+x -print | sed 's|^\./||' | sort)
[ -n "$list" ] || die "the build produced no test programs (log: $out/build.log)"
rm -f "$out/tests.new"
for p in $list; do
	n=${p##*/}
	grep -qx "$n" "$out/tests.new" 2>/dev/null && die "two tests named $n ($p): cannot flatten"
	# A dynamic binary would need a loader the initramfs does not have.
	if ${cross}readelf -l "$obj/$p" | grep -q 'INTERP'; then
		die "$p is dynamically linked although built with -static"
	fi
	${cross}strip -o "$out/$n" "$obj/$p"
	echo "$n" >> "$out/tests.new"
done
sort "$out/tests.new" > "$out/tests"; rm "$out/tests.new"
rm -rf "$obj"
{
	echo "compiler=$($cc --version | head -1)"
	echo "headers_s=$((t1 - t0))"
	echo "compile_s=$((t2 - t1))"
	echo "tests=$(wc -l < "$out/tests")"
} > "$out/build.info"
echo "built $(wc -l < "$out/tests") KVM selftests into $out (headers $((t1 - t0)) s, compile $((t2 - t1)) s)"

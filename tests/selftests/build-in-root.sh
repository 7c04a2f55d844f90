#!/bin/bash
# Build the riscv KVM selftests of kernel KVER from the very source the
# module build takes for it (scripts/acquire resolve), inside the build
# root of the kernel's compiler.  Needs root (mount namespace + chroot).
#
#   tests/selftests/build-in-root.sh KVER [OUTDIR]
#
# OUTDIR defaults to build/selftests/KVER; nothing is done when it already
# holds a build newer than these scripts (FORCE=1 rebuilds).  The part of
# the source the tests need is extracted once per source into
# $KR_CACHE/selftests/<source>/ (by the builder's extractor), and its uapi
# headers installed there.
set -eu -o pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=../../scripts/lib.sh
. "$top/scripts/lib.sh"
. "$KR_TOP/scripts/archive.sh"
. "$KR_TOP/scripts/root.sh"

[ $# -ge 1 ] || die "usage: $0 KVER [OUTDIR]"
KVER=$1
out=$(realpath -m "${2:-$KR_TOP/build/selftests/$KVER}")
here=$KR_TOP/tests/selftests

if [ -z "${FORCE:-}" ] && [ -f "$out/.kr-done" ] &&
	[ -z "$(find "$here/build.sh" "$here/build-in-root.sh" -newer "$out/.kr-done")" ]; then
	echo "$out"; exit 0
fi
need_root "building the KVM selftests in the Debian root"
t0=$(date +%s)

# What tools/testing/selftests/kvm reads: the top Makefile, scripts/ and
# the uapi headers for `make headers`, tools/ parts for the test library
# (kselftest, rseq, cgroup helpers live beside kvm/); virt/kvm makes it a
# kernel tree to the extractor.  The list names the cache.
ST_PATHS="Makefile scripts include/uapi arch/riscv virt/kvm tools/include tools/arch/riscv
	tools/lib tools/build tools/scripts tools/testing/selftests"

# The module build's source for KVER, as resolve reports it: the archive
# or tree it named (SOURCE_ORIGIN).  The tests are user programs: Debian
# 13's gcc-14 root builds them for every kernel.
res=$("$KR_TOP/scripts/acquire" resolve KVER="$KVER") ||
	die "cannot resolve the kernel source of $KVER (see the error above)"
from=$(kr_field SOURCE_ORIGIN <<<"$res")
root=$(root_for_cc gcc-14) || exit 1
[ -e "$from" ] || die "$from (the source of $KVER) is missing"
id=$( (printf '%s' "$from"; echo $ST_PATHS) | sha256sum | cut -c1-16)
[ -f "$from" ] && id=$(basename "$from")-$(echo $ST_PATHS | sha256sum | cut -c1-8)
tree=$KR_CACHE/selftests/$id

if [ ! -f "$tree/.kr-done" ]; then
	msg "extracting the selftests' part of $(basename "$from") (reads the whole archive, ~15 s) ..."
	mkdir -p "$KR_CACHE/selftests"
	# shellcheck disable=SC2086
	extract_subset "$from" "$tree" $ST_PATHS
	[ -f "$tree/tools/testing/selftests/kvm/Makefile" ] || { rm -rf "$tree";
		die "$from has no tools/testing/selftests/kvm: not a full kernel source"; }
	printf '%s\n' "$from" > "$tree/.kr-done"
fi
t1=$(date +%s)

mkdir -p "$out"
rm -f "$out/.kr-done"
root_run "$root" "$here $tree $out" /usr/bin/env ${CC:+CC="$CC"} \
	/bin/sh "$here/build.sh" "$tree" "$out" >&2 ||
	die "the KVM selftests for $KVER did not build (see above)"
t2=$(date +%s)
{
	echo "kernel=$KVER"
	echo "source=$from"
	echo "tree=$tree"
	echo "extract_s=$((t1 - t0))"
	echo "build_s=$((t2 - t1))"
} >> "$out/build.info"
# The source's identity, for comparing results of different builds.
echo "$id $(date -u +%Y%m%dT%H%M%SZ)" > "$out/.kr-done"
msg "KVM selftests for $KVER: $(wc -l < "$out/tests") tests in $out (extract $((t1 - t0)) s, build $((t2 - t1)) s)"
echo "$out"

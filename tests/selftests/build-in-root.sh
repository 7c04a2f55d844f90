#!/bin/bash
# Build the riscv KVM selftests of kernel KVER from the very source the
# module build takes for it (scripts/kvm-riscv-build source), inside the
# project's Debian trixie build root.  Needs root (mount namespace + chroot).
#
#   tests/selftests/build-in-root.sh KVER [OUTDIR] [ROOT]
#
# OUTDIR defaults to build/selftests/KVER; nothing is done when it already
# holds a build newer than these scripts (FORCE=1 rebuilds).  The part of
# the source the tests need is extracted once per source into
# $KR_CACHE/selftests/<source>/, and its uapi headers installed there.
set -eu -o pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck source=../../scripts/lib.sh
. "$top/scripts/lib.sh"
# shellcheck source=../../scripts/root.sh
. "$top/scripts/root.sh"

[ $# -ge 1 ] || die "usage: $0 KVER [OUTDIR] [ROOT]"
KVER=$1
out=$(realpath -m "${2:-$KR_TOP/build/selftests/$KVER}")
root=${3:-$KR_CACHE/root/trixie}
here=$KR_TOP/tests/selftests

if [ -z "${FORCE:-}" ] && [ -f "$out/.kr-done" ] &&
	[ -z "$(find "$here/build.sh" "$here/build-in-root.sh" -newer "$out/.kr-done")" ]; then
	echo "$out"; exit 0
fi
need_root "building the KVM selftests in the Debian root"
t0=$(date +%s)

# What tools/testing/selftests/kvm reads: the top Makefile, scripts/ and
# the uapi headers for `make headers`, tools/ parts for the test library
# (kselftest, rseq, cgroup helpers live beside kvm/).  Bump ST_LAYOUT when
# this changes: it names the cache.
ST_PATHS="Makefile scripts include/uapi arch/riscv tools/include tools/arch/riscv
	tools/lib tools/build tools/scripts tools/testing/selftests"
ST_LAYOUT=1

# The module build's source for KVER: its cache records where it came from.
src=$("$KR_TOP/scripts/kvm-riscv-build" source KVER="$KVER") ||
	die "cannot resolve the kernel source of $KVER (see the error above)"
desc=$(head -1 "$src/.kr-done" 2>/dev/null) || die "$src lacks .kr-done: not a finished source extraction"
id=${src##*/}; id=${id%-l[0-9]*}
case $desc in
*"(Debian source package)")
	die2 "the selftests cannot be taken from a Debian source package (KSRC=debsrc)" \
		"drop KSRC=debsrc, or name the linux-source tarball with KSRC=" ;;
"tree "*)	from=${desc#tree }; id=tree-$(printf '%s' "$from" | sha256sum | cut -c1-16) ;;
*" sha256:"*)	from=${KSRC:?}; [ -f "$from" ] || die "KSRC=$from vanished" ;;
*)		from=$KR_CACHE/debs/$desc.deb
		[ -n "${KSRC:-}" ] && [ -f "$KSRC" ] && from=$KSRC
		[ -f "$from" ] || die2 "$from is missing though the module build used it" \
			"run 'make KVER=$KVER' to fetch it again" ;;
esac
tree=$KR_CACHE/selftests/$id-s$ST_LAYOUT

_tar_of() { # FILE|DIR -> uncompressed tar of a tree on stdout
	set -o pipefail
	case $1 in
	*.deb) dpkg-deb --fsys-tarfile "$1" | tar -xO --wildcards './usr/src/linux-source-*.tar.xz' | xz -dc ;;
	*.xz) xz -dc "$1" ;; *.gz|*.tgz) gzip -dc "$1" ;; *.bz2) bzip2 -dc "$1" ;; *.zst) zstd -dc "$1" ;;
	*) if [ -d "$1" ]; then tar -C "$(dirname "$1")" -c "$(basename "$1")"; else cat "$1"; fi ;;
	esac
}

if [ ! -f "$tree/.kr-extracted" ]; then
	msg "extracting the selftests' part of $(basename "$from") (reads the whole archive, ~15 s) ..."
	pats=(); for p in $ST_PATHS; do pats+=("*/$p"); done
	rm -rf "$tree.tmp"; mkdir -p "$tree.tmp"
	if ! _tar_of "$from" | tar -C "$tree.tmp" -x --strip-components=1 --wildcards \
		--no-wildcards-match-slash "${pats[@]}" 2>"$tree.err"; then
		rm -rf "$tree.tmp"
		die2 "could not extract $ST_PATHS from $from: $(head -2 "$tree.err" | tr '\n' ' ')" \
			"a corrupt download? delete $from and run 'make KVER=$KVER' to fetch it again"
	fi
	rm -f "$tree.err"
	[ -f "$tree.tmp/tools/testing/selftests/kvm/Makefile" ] || { rm -rf "$tree.tmp";
		die "$from has no tools/testing/selftests/kvm: not a full kernel source"; }
	printf '%s\n' "$from" > "$tree.tmp/.kr-extracted"
	rm -rf "$tree"; mv "$tree.tmp" "$tree"
fi
t1=$(date +%s)

if [ ! -d "$root" ]; then
	kr_apt_setup
	root=$(root_ensure trixie gcc-14)
fi
[ -x "$root/usr/bin/riscv64-linux-gnu-gcc-14" ] || [ -n "${CC:-}" ] ||
	die2 "no riscv64 cross compiler in $root" \
		"create the build root first (scripts/kvm-riscv-build does), or pass ROOT"
# The static riscv64 libc, and a host compiler for the kernel's header
# tools (fixdep, unifdef): added to the root on first use.
if [ ! -e "$root/usr/riscv64-linux-gnu/lib/libc.a" ] || [ ! -x "$root/usr/bin/gcc" ] ||
	[ ! -e "$root/usr/include/stdio.h" ]; then
	msg "installing riscv64 libc and a host gcc into $root ..."
	# The root's Release files may be past their Valid-Until date.
	root_run "$root" "" /bin/sh -c 'apt-get -q -o Acquire::Check-Valid-Until=false update &&
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
			libc6-dev-riscv64-cross gcc libc6-dev' >&2 ||
		die "could not install libc6-dev-riscv64-cross, gcc and libc6-dev into $root"
fi

mkdir -p "$out"
rm -f "$out/.kr-done"
root_run "$root" "$here $tree $out" /usr/bin/env ${CC:+CC="$CC"} \
	/bin/sh "$here/build.sh" "$tree" "$out" >&2 ||
	die "the KVM selftests for $KVER did not build (see above)"
t2=$(date +%s)
{
	echo "kernel=$KVER"
	echo "source=$from"
	echo "extract_s=$((t1 - t0))"
	echo "build_s=$((t2 - t1))"
} >> "$out/build.info"
# The source's identity, for comparing results of different builds.
echo "$id $(date -u +%Y%m%dT%H%M%SZ)" > "$out/.kr-done"
msg "KVM selftests for $KVER: $(wc -l < "$out/tests") tests in $out (extract $((t1 - t0)) s, build $((t2 - t1)) s)"
echo "$out"

# shellcheck shell=bash
# Kernel source acquisition.  Sourced.
#
# Only the parts the module needs are extracted, once per source identity,
# into $KR_CACHE/src/<id>/.  Nothing here is ever written into the clone.

# Paths (relative to the top of a kernel tree) the build and tests read.
KR_SRC_PATHS="Makefile arch/riscv/kvm virt/kvm arch/riscv/include
	arch/riscv/kernel/asm-offsets.c include/linux/kvm_host.h
	include/linux/kvm_types.h include/uapi/linux/kvm.h
	scripts/checkpatch.pl scripts/spelling.txt scripts/const_structs.checkpatch"
KR_SRC_LAYOUT=1		# bump when KR_SRC_PATHS changes: invalidates the cache

# tree_version DIR -> "6.12.107" from a kernel Makefile (following Debian's
# one-line include wrapper in headers packages).
tree_version() {
	local mk=$1/Makefile inc
	[ -f "$mk" ] || return 1
	inc=$(sed -n 's/^include \(\/.*\/Makefile\)$/\1/p' "$mk" | head -1)
	[ -n "$inc" ] && [ -f "${2:-}$inc" ] && mk=${2:-}$inc
	awk -F' *= *' '$1=="VERSION"{v=$2} $1=="PATCHLEVEL"{p=$2} $1=="SUBLEVEL"{s=$2}
		END{if (v=="" || p=="") exit 1; print v"."p"."(s==""?0:s)}' "$mk"
}

# is_kernel_tree DIR: a kernel source tree with the KVM code in it.
is_kernel_tree() {
	tree_version "$1" >/dev/null 2>&1 && [ -f "$1/virt/kvm/kvm_main.c" ] && [ -d "$1/arch/riscv" ]
}

# extract_subset TARSTREAM_CMD DEST: run the command that writes an
# uncompressed tar to stdout and keep KR_SRC_PATHS of it in DEST.
extract_subset() {
	local dest=$1; shift
	local pats=() p err rc
	for p in $KR_SRC_PATHS; do pats+=("*/$p"); done
	rm -rf "$dest.tmp"; mkdir -p "$dest.tmp"
	set +e
	"$@" 2>"$dest.err1" | tar -C "$dest.tmp" -x --wildcards \
		--no-wildcards-match-slash "${pats[@]}" 2>"$dest.err2"
	rc=("${PIPESTATUS[@]}")
	set -e
	# A pattern the tree lacks is fine (checked below); anything else is not.
	err=$(cat "$dest.err1"; grep -v -e 'Not found in archive' \
		-e 'Exiting with failure status due to previous errors' "$dest.err2" || true)
	rm -f "$dest.err1" "$dest.err2"
	if [ "${rc[0]}" -ne 0 ] || [ -n "$err" ]; then
		rm -rf "$dest.tmp"
		die2 "the kernel source archive is corrupt or truncated: $(printf '%s' "$err" | head -2 | tr '\n' ' ')" \
			"download it again (delete it first), or name another one with KSRC="
	fi
	set -- "$dest.tmp"/*
	if [ $# -ne 1 ] || ! is_kernel_tree "$1"; then
		rm -rf "$dest.tmp"
		die2 "the archive does not hold a kernel source tree with virt/kvm and arch/riscv" \
			"KSRC= must name a Linux source tree or tarball (e.g. /usr/src/linux-source-X.Y.tar.xz)"
	fi
	rm -rf "$dest"
	mv "$1" "$dest"
	rmdir "$dest.tmp"
}

# The tarball stream inside a linux-source-X.Y .deb.
_deb_tar() { set -o pipefail; dpkg-deb --fsys-tarfile "$1" | tar -xO --wildcards './usr/src/linux-source-*.tar.xz' | xz -dc; }
_xz_tar()  { case $1 in
	*.xz) xz -dc "$1";; *.gz|*.tgz) gzip -dc "$1";; *.bz2) bzip2 -dc "$1";;
	*.zst) zstd -dc "$1";; *) cat "$1";; esac; }

# source_debsrc PKGVER: the Debian source package linux=PKGVER, unpacked
# with dpkg-source (checksums verified, Debian's patches applied as the
# kernel team applies them), reduced to KR_SRC_PATHS.
source_debsrc() {
	local pv=$1 d=$KR_CACHE/debsrc/$1 p t
	[ -n "$pv" ] || die "cannot tell the Debian package version of kernel $KVER"
	SRC_DESC="linux_${pv} (Debian source package)"
	SRC=$KR_CACHE/src/linux_$pv-debsrc-l$KR_SRC_LAYOUT
	[ -f "$SRC/.kr-done" ] && return
	command -v dpkg-source >/dev/null || die2 "dpkg-source is missing" "apt-get install dpkg-dev"
	kr_apt_setup
	if [ -z "$(ls "$d"/linux_*.dsc 2>/dev/null)" ]; then
		msg "downloading the Debian source package linux $pv (~150 MB) ..."
		rm -rf "$d.tmp"; mkdir -p "$d.tmp"
		(cd "$d.tmp" && apt-get "${KR_APT_OPTS[@]}" -q source --download-only "linux=$pv" \
			>"$d.tmp/download.log" 2>&1) || { rm -rf "$d.tmp"; die2 \
			"the archive has no Debian source package linux $pv" \
			"use linux-source-${HVER%.*} (drop KSRC=debsrc) or name a source with KSRC="; }
		rm -rf "$d"; mv "$d.tmp" "$d"
	fi
	t=$(mktemp -d "$KR_CACHE/debsrc/unpack.XXXXXX")
	msg "unpacking linux $pv with dpkg-source (~1.7 GB, removed afterwards) ..."
	if ! dpkg-source -x "$(ls "$d"/linux_*.dsc | head -1)" "$t/linux" >"$t.log" 2>&1; then
		rm -rf "$t"
		die2 "dpkg-source could not unpack linux $pv: $(grep -m1 -E 'error|failed' "$t.log")" \
			"delete $d and retry"
	fi
	rm -f "$t.log"
	extract_subset "$SRC" _tree_tar "$t"
	rm -rf "$t"
	printf '%s\n' "$SRC_DESC" > "$SRC/.kr-done"
}
_tree_tar() { tar -C "$1" -c linux; }

# source_deb_version X.Y X.Y.Z: the archive's linux-source-X.Y of that very
# point release, when it still has it (empty otherwise: the newest is used).
source_deb_version() {
	kr_versions "linux-source-$1:amd64" | grep "^$2-" | _newest_deb_version
}

# source_get MAJOR.MINOR KERNEL_VERSION: sets SRC (tree to copy from) and
# SRC_DESC (what it is, for modinfo and messages).
source_get() {
	local mm=$1 kv=$2 file= id ver
	# A configured source location (/etc/default/kvm-riscv), %v = X.Y.
	if [ -z "${KSRC:-}" ] && [ -n "${KVM_RISCV_KSRC:-}" ]; then
		KSRC=${KVM_RISCV_KSRC//%v/$mm}
	fi
	if [ "${KSRC:-}" = debsrc ]; then
		source_debsrc "${HPKGVER:-}"
		return
	fi
	if [ -n "${KSRC:-}" ]; then
		if [ -d "$KSRC" ]; then
			is_kernel_tree "$KSRC" || die2 "KSRC=$KSRC is not a kernel source tree (no Makefile version, virt/kvm or arch/riscv)" \
				"point KSRC at the top of a Linux source tree, or at a source tarball"
			SRC=$(cd "$KSRC" && pwd); SRC_DESC="tree $SRC"
			return
		fi
		[ -f "$KSRC" ] || die2 "KSRC=$KSRC does not exist" "name a Linux source tree, tarball or linux-source .deb"
		file=$KSRC
	elif [ "$(host_arch)" = riscv64 ] || [ -n "${KR_NO_DOWNLOAD:-}" ]; then
		file=/usr/src/linux-source-$mm.tar.xz
		[ -f "$file" ] || die2 "no kernel source for $mm: $file is missing" \
			"apt-get install linux-source-$mm (or name a tree/tarball with KSRC=)"
	else
		ver=$(source_deb_version "$mm" "$kv")
		file=$(kr_fetch "linux-source-$mm${ver:+=$ver}") ||
			die2 "no linux-source-$mm package in the archive" "name a source with KSRC="
	fi
	case $file in
	*.deb) id=$(basename "$file" .deb); SRC_DESC=$id ;;
	*) id=$(sha256sum "$file" | cut -c1-16); SRC_DESC="$(basename "$file") sha256:$id" ;;
	esac
	[ -f "$file" ] && [ -s "$file" ] || die "$file is empty"
	SRC=$KR_CACHE/src/$id-l$KR_SRC_LAYOUT
	if [ ! -f "$SRC/.kr-done" ]; then
		msg "extracting the KVM sources from $(basename "$file") (reads the whole archive, ~10 s) ..."
		mkdir -p "$KR_CACHE/src"
		case $file in
		*.deb) dpkg-deb -I "$file" >/dev/null 2>&1 || die2 "$file is not a valid .deb" "download it again"
		       extract_subset "$SRC" _deb_tar "$file" ;;
		*)     extract_subset "$SRC" _xz_tar "$file" ;;
		esac
		printf '%s\n' "$SRC_DESC" > "$SRC/.kr-done"
	fi
}

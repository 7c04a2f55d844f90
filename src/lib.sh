# shellcheck shell=bash
# Messages and kernel-source primitives, shared by the builder (DKMS-time)
# and the developer tools.  Sourced; defines functions only.

msg() { printf 'kvm-riscv: %s\n' "$*" >&2; }
die() { printf 'kvm-riscv: error: %s\n' "$*" >&2; exit 1; }
# A second line after die's first one tells the user what to do.
die2() { printf 'kvm-riscv: error: %s\n  -> %s\n' "$1" "$2" >&2; exit 1; }

# kr_field KEY: the value of KEY from KEY=VALUE lines on stdin (resolve).
kr_field() { sed -n "s/^$1=//p" | head -1; }

# copy_list: the paths a module build reads (src/copy-list, as data).
copy_list() { sed '/^#/d; /^$/d' "$KR_TOP/src/copy-list"; }

# tree_version DIR [ROOT] -> "6.12.107" from a kernel Makefile (following
# Debian's one-line include wrapper in headers packages; ROOT prefixes its
# absolute path when the headers sit in a build root).
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

# source_tar SOURCE: an uncompressed tar of a kernel source on stdout, from
# a linux-source .deb, a (compressed) tarball or a tree.
source_tar() {
	set -o pipefail
	case $1 in
	*.deb) dpkg-deb --fsys-tarfile "$1" | tar -xO --wildcards './usr/src/linux-source-*.tar.xz' | xz -dc ;;
	*.xz) xz -dc "$1" ;; *.gz|*.tgz) gzip -dc "$1" ;; *.bz2) bzip2 -dc "$1" ;;
	*.zst) zstd -dc "$1" ;;
	*) if [ -d "$1" ]; then tar -C "$(dirname "$1")" -c "$(basename "$1")"; else cat "$1"; fi ;;
	esac
}

# extract_subset SOURCE DEST PATH...: the given paths (relative to the
# top of the tree) of SOURCE, in DEST; whole or not at all.  The one
# extractor: the module build and the tests' trees use it alike.
extract_subset() {
	local src=$1 dest=$2 pats=() p err rc; shift 2
	for p; do pats+=("*/$p"); done
	rm -rf "$dest.tmp"; mkdir -p "$dest.tmp"
	set +e
	source_tar "$src" 2>"$dest.err1" | tar -C "$dest.tmp" -x --wildcards \
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

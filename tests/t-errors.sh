#!/bin/bash
# Every bad input: a clear message naming cause and fix, a non-zero exit,
# and nothing half-written under the output directory.
. "$(dirname "$0")/lib.sh"

out=$T_WORK/out
mkdir -p "$out"
# nothing_left NAME: the failed run left no tree and no temporary behind.
nothing_left() { check "$1: nothing half-written" test -z "$(ls -A "$out")"; }
build() { "$KB" build O="$out" "$@"; }

expect_fail "no headers for the release" \
	'package linux-headers-6.12.999\+deb13-riscv64 \(riscv64\) is not in the archive' \
	build KVER=6.12.999+deb13-riscv64
nothing_left "no headers"
expect_fail "headers tree that does not exist" 'KHDR=/nonexistent does not exist' \
	build KHDR=/nonexistent

# What the builds of the test kernels use, resolved here (sources
# fetched and extracted if this is the first group to need them).
"$KB" resolve KVER="$T_KVER_612" > "$T_WORK/r612" || die "cannot resolve $T_KVER_612"
"$KB" resolve KVER="$T_KVER_72" > "$T_WORK/r72" || die "cannot resolve $T_KVER_72"

# The DKMS-time builder on this host, as on a server that lacks a piece:
# it names the package to install and downloads nothing.
hdr=$(kr_field HEADERS < "$T_WORK/r612")
nodef="KVM_RISCV_DEFAULTS=/nonexistent"
expect_fail "builder, no linux-source: names the package to install" \
	"no kernel source for 6.12: /usr/src/linux-source-6.12.tar.xz is missing.*apt-get install linux-source-6.12" \
	env $nodef "$BUILDER" fixes O="$out" KVER="$T_KVER_612" KHDR="$hdr"
nothing_left "no source"
expect_fail "builder, no cross compiler: names the package to install" \
	"riscv64-linux-gnu-gcc-14\) is not installed.*apt-get install gcc-14-riscv64-linux-gnu" \
	env PATH=/usr/sbin:/usr/bin:/sbin:/bin $nodef "$BUILDER" build O="$out" KVER="$T_KVER_612" KHDR="$hdr" VERSION=0
nothing_left "no cross compiler"
expect_fail "builder, unstamped dkms.conf and no VERSION=" "PACKAGE_VERSION is not stamped" \
	env $nodef "$BUILDER" build O="$out" KVER="$T_KVER_612" KHDR="$hdr"
src72=$(kr_field SOURCE < "$T_WORK/r72")
v612=$(kr_field HEADERS_VERSION < "$T_WORK/r612")
vold=${T_KVER_612_OLD%%+*}
expect_fail "source of another kernel line" \
	'the source is Linux 7\.2\.[0-9]+ but kernel .* is 6\.12\.[0-9]+: different kernel lines' \
	build KVER="$T_KVER_612" KSRC="$src72"
nothing_left "other line"

# The series failing inside the tree (a fix left out that a later patch is
# written on): the patch and the way out are named, and the partial tree
# goes (the cleanup once read lay_tree's own, empty "tmp" and left it).
expect_fail "a patch that does not apply: named, with the way out" \
	'fix 8ae12ccaec6e does not apply: 0001-.*refresh patches/19-imsic-rw-attr-mutex; or EXCLUDE=aeb1d17d1af5 left out a fix this patch is written on: exclude 8ae12ccaec6e too' \
	build KVER="$T_KVER_612" EXCLUDE=aeb1d17d1af5
nothing_left "patch does not apply"

# A point-release difference is reported, and refused under STRICT=1.
src612=$(kr_fetch "linux-source-6.12=$(source_deb_version 6.12 "$v612")") || die "no linux-source-6.12 $v612"
"$KB" fixes KVER="$T_KVER_612_OLD" KSRC="$src612" >/dev/null 2>"$T_WORK/point.err"
check "point release difference is reported" \
	grep -q "note: source $v612 differs from the headers.* $vold" "$T_WORK/point.err"
expect_fail "point release difference refused with STRICT=1" \
	"source is Linux $v612 but the headers are $vold \\(STRICT=1\\)" \
	build KVER="$T_KVER_612_OLD" KSRC="$src612" STRICT=1
nothing_left "STRICT"

# Archives: truncated, and not an archive at all.
dpkg-deb --fsys-tarfile "$src612" 2>/dev/null | tar -xO --wildcards './usr/src/linux-source-*.tar.xz' |
	head -c 30000000 > "$T_WORK/truncated.tar.xz" 2>/dev/null
expect_fail "truncated source tarball" 'corrupt or truncated' \
	build KVER="$T_KVER_612" KSRC="$T_WORK/truncated.tar.xz"
nothing_left "truncated tarball"
id=$(sha256sum "$T_WORK/truncated.tar.xz" | cut -c1-16)
check "truncated tarball: no extraction left in the cache" \
	test -z "$(ls -d "$KR_CACHE/src/$id"* 2>/dev/null)"
head -c 100000 /dev/urandom > "$T_WORK/garbage.tar.xz"
expect_fail "corrupt source tarball" 'corrupt or truncated' \
	build KVER="$T_KVER_612" KSRC="$T_WORK/garbage.tar.xz"
mkdir -p "$T_WORK/notkernel/src"; echo 'all:' > "$T_WORK/notkernel/Makefile"
tar -C "$T_WORK" -cJf "$T_WORK/notkernel.tar.xz" notkernel
expect_fail "tarball that holds no kernel" 'does not hold a kernel source tree' \
	build KVER="$T_KVER_612" KSRC="$T_WORK/notkernel.tar.xz"
expect_fail "directory that is not a kernel tree" 'is not a kernel source tree' \
	build KVER="$T_KVER_612" KSRC="$T_WORK/notkernel"
nothing_left "not a kernel"

# Headers trees with the wrong configuration, made from the real one.
hdr=$(kr_field HEADERS < "$T_WORK/r612")
fake() { # fake NAME SED-EXPR: a copy of the real headers' config files
	mkdir -p "$T_WORK/$1/include/generated"
	sed "$2" "$hdr/.config" > "$T_WORK/$1/.config"
	cp "$hdr/.kernelvariables" "$hdr/Makefile" "$T_WORK/$1/"
	cp "$hdr/include/generated/utsrelease.h" "$T_WORK/$1/include/generated/"
}
fake builtin 's/^CONFIG_KVM=m/CONFIG_KVM=y/'
expect_fail "kernel with KVM built in" 'KVM built in \(CONFIG_KVM=y\): a module cannot replace it' \
	build KHDR="$T_WORK/builtin"
fake nokvm 's/^CONFIG_KVM=m/# CONFIG_KVM is not set/'
expect_fail "kernel without KVM" 'built without KVM' build KHDR="$T_WORK/nokvm"
fake x86 's/^CONFIG_RISCV=y/CONFIG_X86_64=y/'
expect_fail "non-riscv kernel headers" 'not a RISC-V kernel' build KHDR="$T_WORK/x86"
expect_fail "non-riscv kernel release" 'is not a Debian riscv64 kernel' \
	build KVER=6.12.107+deb13-amd64
fake nocc 's/^CONFIG_CC_VERSION_TEXT=.*/CONFIG_CC_VERSION_TEXT="gcc-99"/'
sed -i 's/gcc-14$/gcc-99/' "$T_WORK/nocc/.kernelvariables"
expect_fail "no cross compiler for the kernel's gcc" \
	'no Debian suite ships the cross compiler gcc-99-riscv64-linux-gnu' build KHDR="$T_WORK/nocc"
nothing_left "bad headers"

# A build that fails in the compiler, after the source resolved and the
# tree was laid out, leaves an earlier good build untouched and no
# temporary tree behind.  The failure comes from a test-only change to a
# copy of the real source.
bad=$T_WORK/badsrc
cp -a "$(kr_field SOURCE < "$T_WORK/r612")" "$bad"
sed -i "1i #error \"kvm-riscv test: injected compile failure\"" "$bad/virt/kvm/binary_stats.c"
mkdir -p "$out/$T_KVER_612"; echo keep > "$out/$T_KVER_612/kvm.ko"
expect_fail "compile failure: the build fails and says so" \
	'the kernel build failed \(full log: .*/failed-6\.12\.[^ ]*\.log\)' \
	build KVER="$T_KVER_612" KSRC="$bad"
check "compile failure: the log names the injected error" \
	grep -q 'injected compile failure' "$out/failed-$T_KVER_612.log"
check "compile failure: the previous build is kept whole" grep -qx keep "$out/$T_KVER_612/kvm.ko"
check "compile failure: no temporary tree is left" test -z "$(ls -A "$out" | grep '^\.')"

# A missing kbuild stops the build where it is found missing, naming it.
expect_fail "missing kbuild: the error names the package" \
	'package linux-kbuild-6\.12\.999\+deb13 \(amd64\) is not in the archive' \
	env KVM_RISCV_KBUILD=6.12.999+deb13 "$KB" build O="$out" KVER="$T_KVER_612"
check "missing kbuild: the previous build is kept" grep -qx keep "$out/$T_KVER_612/kvm.ko"
# Under DKMS the source location comes from /etc/default/kvm-riscv, read
# as data: a shell command in it is not run.
def=$T_WORK/default-kvm-riscv
cp -a "$(kr_field SOURCE < "$T_WORK/r612")" "$T_WORK/deftree"; rm -f "$T_WORK/deftree/.kr-done"
printf '# test\nKVM_RISCV_KSRC="%s"\ntouch %s\n$(touch %s)\n' "$T_WORK/deftree" \
	"$T_WORK/ran1" "$T_WORK/ran2" > "$def"
out=$(env KVM_RISCV_DEFAULTS="$def" "$BUILDER" fixes O="$T_WORK/o2" KVER="$T_KVER_612" KHDR="$hdr" 2>&1); rc=$?
check "/etc/default/kvm-riscv: KVM_RISCV_KSRC names the source (exit $rc)" \
	grep -q "(tree $T_WORK/deftree)" <<<"$out"
check "/etc/default/kvm-riscv is not executed" test ! -e "$T_WORK/ran1" -a ! -e "$T_WORK/ran2"
t_done

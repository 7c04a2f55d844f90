#!/bin/bash
# DKMS and the Debian package, in a Debian 13 system (tests/dkms/lib.sh)
# with the riscv64 headers of 6.12.107 and 7.2.13 installed (7.2.13 is
# not buildable there: no cross build of its compiler); 6.12.94's come
# later through dpkg, to exercise the kernel's hooks.  Cross use from x86:
# commands name -a riscv64; builds started by hooks and by the package get
# DKMS's default arch (uname -m), which only names the DKMS tree.
. "$(dirname "$0")/lib.sh"
. "$KR_TOP/tests/dkms/lib.sh"

K1=$T_KVER_612 K0=$T_KVER_612_OLD K2=$T_KVER_72
V=$KR_VERSION
kr_apt_setup
dk_base
for k in $K1 $K0 $K2; do bed_kernel "$k"; done
STOCK=$BED/k

D=$T_WORK/dk; mkdir -p "$D"
sys() { dk_run "$D" "$@"; }
# run_in CMD: a shell command line in the system
run_in() { sys /bin/sh -c "$1"; }
dk() { sys dkms "$@"; }
resolved() { run_in "modinfo -k $1 -n kvm" 2>/dev/null; }
status() { dk status -m kvm-riscv -k "$1" 2>/dev/null; }
# A module file in the system, by path.
# (/lib is a symlink to usr/lib in a Debian 13 root.)
sysfile() { case $1 in /lib/*) echo "$D/m.u/usr$1" ;; *) echo "$D/m.u$1" ;; esac; }

# --- DKMS by hand ------------------------------------------------------
run_in "make -s -C $KR_TOP install-src" >/dev/null
check "make install-src puts the DKMS tree in /usr/src/kvm-riscv-$V" \
	test -f "$(sysfile "/usr/src/kvm-riscv-$V/dkms.conf")"
check "make install-src stamps debian/changelog's version into dkms.conf" \
	grep -qx "PACKAGE_VERSION=\"$V\"" "$(sysfile "/usr/src/kvm-riscv-$V/dkms.conf")"
out=$(dk add -m kvm-riscv -v "$V" 2>&1)
check "dkms add" grep -q "^kvm-riscv/$V: added" <(dk status 2>&1)

t0=$(date +%s)
out=$(dk build -m kvm-riscv -v "$V" -k "$K1" -a riscv64 2>&1); rc=$?
check "dkms build -k $K1 -a riscv64 ($(( $(date +%s) - t0 )) s)" test $rc -eq 0
check "dkms status: built for $K1" grep -q "kvm-riscv/$V, $K1, riscv64: built" <(status "$K1")
[ $rc -eq 0 ] || printf '%s\n' "$out" | tail -5 | sed 's/^/#   /'
built=$(sysfile "/var/lib/dkms/kvm-riscv/$V/$K1/riscv64/module/kvm.ko")
check "the DKMS-built kvm.ko is a stripped riscv64 object" \
	sh -c "file '$built' | grep -q 'UCB RISC-V' && ! readelf -S '$built' | grep -q debug_info"

out=$(dk install -m kvm-riscv -v "$V" -k "$K1" -a riscv64 2>&1); rc=$?
check "dkms install -k $K1" test $rc -eq 0
check "dkms status: installed for $K1" grep -q "kvm-riscv/$V, $K1, riscv64: installed" <(status "$K1")
check "modinfo -k $K1 kvm resolves to updates/dkms" \
	test "$(resolved "$K1")" = "/lib/modules/$K1/updates/dkms/kvm.ko"
check "modinfo kvm_riscv_fixes of the installed module: 1 and 4 applied" \
	grep -q '2d117e67f318=applied.*af79caa83f6a=applied' <(run_in "modinfo -k $K1 -F kvm_riscv_fixes kvm")
orig=$(sysfile "/var/lib/dkms/kvm-riscv/original_module/$K1/riscv64/kvm.ko")
check "the stock kvm.ko of $K1 is archived by DKMS" cmp -s "$orig" "$STOCK/$K1/kvm.ko"
check "and no longer in kernel/ (updates/dkms has the only kvm.ko)" \
	run_in "test ! -e /lib/modules/$K1/kernel/arch/riscv/kvm/kvm.ko"

# Signing: the kernel has CONFIG_MODULE_SIG; DKMS signs with its MOK key.
sig_ok() {
	local ko=$1 cert=$2 w=$T_WORK/sig
	mkdir -p "$w"
	# Module signature trailer: PKCS#7, then struct module_signature (12
	# bytes, sig_len big-endian last), then the 28-byte magic.
	python3 - "$ko" "$w" <<-'EOP' || return 1
	import struct, sys
	d = open(sys.argv[1], 'rb').read()
	magic = b'~Module signature appended~\n'
	assert d.endswith(magic), 'no signature'
	info = d[-len(magic) - 12:-len(magic)]
	n = struct.unpack('>I', info[8:12])[0]
	end = len(d) - len(magic) - 12
	open(sys.argv[2] + '/content', 'wb').write(d[:end - n])
	open(sys.argv[2] + '/sig.p7', 'wb').write(d[end - n:end])
	EOP
	openssl x509 -inform DER -in "$cert" -out "$w/cert.pem" 2>/dev/null &&
	openssl cms -verify -binary -inform DER -in "$w/sig.p7" -content "$w/content" \
		-certfile "$w/cert.pem" -CAfile "$w/cert.pem" -purpose any -out /dev/null 2>/dev/null
}
inst=$(sysfile "/lib/modules/$K1/updates/dkms/kvm.ko")
check "the installed module is signed (modinfo signer)" test -n "$(run_in "modinfo -F signer /lib/modules/$K1/updates/dkms/kvm.ko")"
check "its signature verifies against DKMS's MOK certificate" sig_ok "$inst" "$(sysfile /var/lib/dkms/mok.pub)"
openssl req -new -x509 -nodes -newkey rsa:2048 -subj /CN=other -days 1 \
	-keyout "$T_WORK/o.key" -outform DER -out "$T_WORK/o.der" 2>/dev/null
if sig_ok "$inst" "$T_WORK/o.der"; then
	not_ok "the signature check accepts another key"
else
	ok "the signature check rejects another key"
fi

# 7.2.13 lacks b7749531a9b1, so DKMS builds for it too; its compiler
# (sid's gcc-16) has no riscv64 cross build in Debian 13, this system (a
# sid server builds natively; make builds it in a sid root).  The failure
# must say so and leave nothing installed.
out=$(dk install -m kvm-riscv -v "$V" -k "$K2" -a riscv64 2>&1); rc=$?
check "dkms install -k $K2 without its compiler fails (exit $rc)" test $rc -ne 0 -a $rc -ne 77
log=$(cat "$(sysfile "/var/lib/dkms/kvm-riscv/$V/build/make.log")" 2>/dev/null)
cc=$(run_in "cat /usr/src/linux-headers-$K2/.kernelvariables" | sed -n 's/^CC = .*)\(gcc[-0-9]*\)$/\1/p')
check "its log names the missing compiler ($cc) and its package" eval \
	'grep -q "riscv64-linux-gnu-$cc) is not installed" <<<"$log" && grep -q "apt-get install $cc-riscv64-linux-gnu" <<<"$log"'
check "PRE_BUILD did not skip $K2 (it lacks b7749531a9b1): DKMS went on to the build" \
	grep -q 'Building module' <<<"$out"
check "modinfo -k $K2 kvm stays the stock module" \
	test "$(resolved "$K2")" = "/lib/modules/$K2/kernel/arch/riscv/kvm/kvm.ko"

# A kernel whose source has every fix keeps its module: skipped, no
# error.  No Debian kernel is one today; the fixture is 7.2.13's source
# with our patches for the fixes it lacks applied (b7749531a9b1 and the
# IPI fix), as a later 7.2.y would carry them, named in
# /etc/default/kvm-riscv.
. "$KR_TOP/src/series.sh"
fx=$KR_TOP/build/.dk-stage/fixed72; rm -rf "$fx"; mkdir -p "$fx"
res=$("$KB" resolve KVER="$K2")
cp -a "$(kr_field SOURCE <<<"$res")" "$fx/linux-source-7.2"
rm -f "$fx/linux-source-7.2/.kr-done"
for id in $(awk '$2 == "applied" {print $1}' "$(kr_field FIXES <<<"$res")"); do
	for p in $(fix_patches "$(fix_dir "$id")" 7.2); do
		patch -s -d "$fx/linux-source-7.2" -p1 -F0 <"$p"
	done
done
tar -C "$fx" -cJf "$fx/linux-source-7.2-fixed.tar.xz" linux-source-7.2
run_in "echo KVM_RISCV_KSRC=$fx/linux-source-7.2-fixed.tar.xz > /etc/default/kvm-riscv"
out=$(dk install -m kvm-riscv -v "$V" -k "$K2" -a riscv64 2>&1); rc=$?
check "dkms install -k $K2 with a source that has every fix is skipped, not failed (exit $rc)" test $rc -eq 77
check "nothing is built for $K2" sh -c "! grep -q '$K2' <<'EOT'
$(status "$K2")
EOT"
check "modinfo -k $K2 kvm stays the stock module" \
	test "$(resolved "$K2")" = "/lib/modules/$K2/kernel/arch/riscv/kvm/kvm.ko"
out=$(run_in "$KR_TOP/scripts/kvm-riscv-status -k $K2" 2>&1)
check "kvm-riscv-status says why $K2 keeps its module" \
	grep -q 'why: *its source already has every fix: 2d117e67f318 upstream' <<<"$out"
run_in "rm -f /etc/default/kvm-riscv"; rm -rf "$fx"
out=$(run_in "$KR_TOP/scripts/kvm-riscv-status -k $K1" 2>&1)
has() { grep -q -- "$1" <<<"$out"; }
check "kvm-riscv-status for $K1: dkms state, module path, fix table" eval \
	'has "dkms: *kvm-riscv/$V, $K1, riscv64: installed" && has "module: */lib/modules/$K1/updates/dkms/kvm.ko" &&
	has "^    af79caa83f6a applied"'
printf '%s\n' "$out" | sed 's/^/#   /'

# A new kernel's headers, installed with dpkg: the hook builds for it.
# A server that moves to another point release gets that release's
# linux-source with it (6.12.117's kvm_main.c does not build against
# 6.12.107's headers, nor the reverse).
sv=$(source_deb_version 6.12 "${K0%%+*}")
if [ -n "$sv" ]; then
	st=$KR_TOP/build/.dk-stage/src; rm -rf "$st"; mkdir -p "$st"
	cp "$(kr_fetch "linux-source-6.12=$sv")" "$st/"
	run_in "dpkg -i --force-depends $st/*.deb" >/dev/null 2>&1
	rm -rf "$st"
fi
check "linux-source-6.12 ${sv:-(newest)} is installed for $K0" \
	test -n "$(run_in "dpkg-query -W -f='\${Version}' linux-source-6.12" | grep "^${K0%%+*}-")"
t0=$(date +%s)
out=$(ROOT_LOWER=$DK_BASE dk_add_kernel "$D/m" -- "$K0" 2>&1); rc=$?
check "installing linux-headers-$K0 runs DKMS through the kernel hooks ($(( $(date +%s) - t0 )) s)" \
	sh -c "[ $rc -eq 0 ] && grep -q 'Autoinstall.*kvm-riscv' <<'EOT'
$out
EOT"
check "dkms status: installed for $K0 after the hook" grep -q "kvm-riscv/$V, $K0, .*: installed" <(status "$K0")
check "modinfo -k $K0 kvm resolves to updates/dkms" \
	test "$(resolved "$K0")" = "/lib/modules/$K0/updates/dkms/kvm.ko"

# --- bad input ---------------------------------------------------------
expect_fail "dkms remove of a version never added" "kvm-riscv/9.9.9 is not located in the DKMS tree" \
	dk remove -m kvm-riscv -v 9.9.9 --all
# Source missing: the message names the package.
run_in "mv /usr/src/linux-source-6.12.tar.xz /usr/src/hidden.tar.xz; rm -rf /var/cache/kvm-riscv/src"
run_in "dkms remove -m kvm-riscv -v $V -k $K1 -a riscv64" >/dev/null 2>&1
out=$(dk build -m kvm-riscv -v "$V" -k "$K1" -a riscv64 2>&1); rc=$?
log=$(run_in "cat /var/lib/dkms/kvm-riscv/$V/build/make.log" 2>/dev/null)
check "no linux-source: dkms build fails (exit $rc)" test $rc -ne 0 -a $rc -ne 77
check "no linux-source: make.log says apt-get install linux-source-6.12" grep -q 'apt-get install linux-source-6.12' <<<"$log"
check "no linux-source: the stock kvm.ko is restored for $K1" \
	cmp -s "$(sysfile "/lib/modules/$K1/kernel/arch/riscv/kvm/kvm.ko")" "$STOCK/$K1/kvm.ko"
check "no linux-source: dkms status shows nothing built for $K1" sh -c "! grep -q '$K1' <<'EOT'
$(status "$K1")
EOT"
run_in "mv /usr/src/hidden.tar.xz /usr/src/linux-source-6.12.tar.xz"

out=$(dk build -m kvm-riscv -v "$V" -k 6.12.999+deb13-riscv64 -a riscv64 2>&1); rc=$?
check "no headers: dkms build fails and says the headers are missing (exit $rc)" \
	sh -c "[ $rc -ne 0 ] && grep -qi 'headers.*cannot be found\|headers.*not' <<'EOT'
$out
EOT"
# Another architecture: a headers tree without CONFIG_RISCV is skipped.
run_in "mkdir -p /lib/modules/6.12.107+deb13-amd64/build && printf 'CONFIG_X86_64=y\nCONFIG_KVM=m\n' > /lib/modules/6.12.107+deb13-amd64/build/.config && cp /usr/src/linux-headers-$K1/Makefile /lib/modules/6.12.107+deb13-amd64/build/"
out=$(dk build -m kvm-riscv -v "$V" -k 6.12.107+deb13-amd64 2>&1); rc=$?
check "amd64 kernel: dkms build is skipped by BUILD_EXCLUSIVE (exit $rc)" \
	sh -c "[ $rc -eq 77 ] && grep -q BUILD_EXCLUSIVE <<'EOT'
$out
EOT"
check "amd64 kernel: kvm-riscv-status says it is not a RISC-V kernel" \
	grep -q 'why: *not a RISC-V kernel' <(run_in "$KR_TOP/scripts/kvm-riscv-status -k 6.12.107+deb13-amd64" 2>&1)
# KVM built in: the build says a module cannot replace it.
KY=6.12.107+deb13-kvmy-riscv64
run_in "cp -a /usr/src/linux-headers-$K1 /usr/src/linux-headers-$KY && sed -i 's/^CONFIG_KVM=m/CONFIG_KVM=y/' /usr/src/linux-headers-$KY/.config && mkdir -p /lib/modules/$KY && ln -s /usr/src/linux-headers-$KY /lib/modules/$KY/build"
out=$(dk build -m kvm-riscv -v "$V" -k "$KY" -a riscv64 2>&1); rc=$?
log=$(run_in "cat /var/lib/dkms/kvm-riscv/$V/build/make.log" 2>/dev/null)
check "KVM built in: dkms build fails (exit $rc) and make.log says why" \
	sh -c "[ $rc -ne 0 ] && [ $rc -ne 77 ] && grep -q 'KVM built in (CONFIG_KVM=y)' <<'EOT'
$log
EOT"
check "after the failed builds dkms status lists only $K0" \
	test "$(dk status -m kvm-riscv 2>/dev/null | grep -c "$V, ")" -eq 1
check "and no kernel but $K0 has an updates/dkms/kvm.ko" \
	test "$(cd "$D/m.u/usr/lib/modules" 2>/dev/null && ls -d */updates/dkms/kvm.ko* 2>/dev/null | tr '\n' ' ')" = "$K0/updates/dkms/kvm.ko "

# Removal restores every stock module byte for byte.
out=$(dk remove -m kvm-riscv -v "$V" --all 2>&1); rc=$?
check "dkms remove --all" test $rc -eq 0
check "dkms status is empty after remove" test -z "$(dk status -m kvm-riscv 2>/dev/null)"
check "the stock kvm.ko of $K0 is restored byte-identical" \
	cmp -s "$(sysfile "/lib/modules/$K0/kernel/arch/riscv/kvm/kvm.ko")" "$STOCK/$K0/kvm.ko"
check "modinfo -k $K0 kvm is the stock module again" \
	test "$(resolved "$K0")" = "/lib/modules/$K0/kernel/arch/riscv/kvm/kvm.ko"

# --- the Debian package --------------------------------------------------
t0=$(date +%s)
if deb=$("$KR_TOP/scripts/kvm-riscv-pkg" deb 2>"$T_WORK/deb.err"); then
	ok "make deb: $(basename "$deb"), lintian: 0 errors, $(grep -c '^W:' "$KR_TOP/build/deb/lintian.txt") warnings ($(( $(date +%s) - t0 )) s)"
else
	not_ok "make deb: $(tail -1 "$T_WORK/deb.err")"
	t_done; exit 1
fi
# What the package holds: the DKMS tree (builder, src/, patches/,
# dkms.conf stamped by dh_dkms), the status tool and Debian's docs.
c=$(dpkg-deb -c "$deb" | awk '{print $6}' | grep -v '/$')
extra=$(grep -Ev "^\./usr/src/kvm-riscv-$V/(dkms\.conf|src/[^/]+|patches/.+)\$|^\./usr/sbin/kvm-riscv-status\$|^\./usr/share/man/man8/kvm-riscv-status\.8\.gz\$|^\./usr/share/doc/kvm-riscv-dkms/(changelog\.gz|copyright)\$" <<<"$c")
check "dpkg-deb -c: only the DKMS tree, the status tool and docs ($(wc -l <<<"$c") files)${extra:+; also: $(echo $extra)}" \
	test -z "$extra"
in_deb() { grep -q -- "$1" <<<"$c"; }
check "dpkg-deb -c: the builder and the series are there" \
	eval 'in_deb "^\./usr/src/kvm-riscv-$V/src/kvm-riscv-build\$" && in_deb "^\./usr/src/kvm-riscv-$V/patches/04-"'
check "the packaged dkms.conf has the version dh_dkms stamped ($V)" \
	grep -qx "PACKAGE_VERSION=\"$V\"" <(dpkg-deb --fsys-tarfile "$deb" | tar -xO "./usr/src/kvm-riscv-$V/dkms.conf")
# The upgrade: the same project at the next version, as a release would
# be: one changelog entry, written by dch.
up=$T_WORK/up; V2=${V%.*}.$(( ${V##*.} + 1 ))
mkdir -p "$up"
git -C "$KR_TOP" ls-files | tar -C "$KR_TOP" -c -T - | tar -C "$up" -x
(cd "$up" && DEBEMAIL=kvm-riscv@lists.debian.net DEBFULLNAME="kvm-riscv developers" \
	dch -v "$V2" -D unstable "Test upgrade." 2>/dev/null)
check "dch wrote the $V2 entry" test "$(dpkg-parsechangelog -l "$up/debian/changelog" -S Version)" = "$V2"
(cd "$up" && git init -q && git add -A && git -c user.name=t -c user.email=t@t commit -q -m up)
if deb2=$("$up/scripts/kvm-riscv-pkg" deb 2>"$T_WORK/deb2.err"); then
	ok "package $V2 built for the upgrade test"
else
	not_ok "package $V2 for the upgrade test: $(tail -1 "$T_WORK/deb2.err")"
	t_done; exit 1
fi
stage=$KR_TOP/build/.dk-stage/pkg
rm -rf "$stage"; mkdir -p "$stage"; cp "$deb" "$deb2" "$stage/"

D=$T_WORK/pk; mkdir -p "$D"
# $K2 cannot be built here (no cross build of its compiler, above): the package
# is installed on a system with the 6.12 kernels only.
run_in "dpkg --purge linux-headers-$K2" >/dev/null 2>&1
out=$(run_in "dpkg -i $stage/$(basename "$deb")" 2>&1); rc=$?
check "dpkg -i kvm-riscv-dkms $V (exit $rc)" test $rc -eq 0
check "install built and installed for $K1" grep -q "kvm-riscv/$V, $K1, .*: installed" <(status "$K1")
check "modinfo -k $K1 kvm: version $V from updates/dkms" \
	test "$(run_in "modinfo -k $K1 -F version kvm")" = "$V"
check "kvm-riscv-status is installed and reports $K1" \
	grep -q "module: */lib/modules/$K1/updates/dkms/kvm.ko" <(run_in "kvm-riscv-status" 2>&1)

out=$(run_in "dpkg -i $stage/$(basename "$deb2")" 2>&1); rc=$?
check "upgrade to $V2 (exit $rc)" test $rc -eq 0
out=$(dk status 2>&1)
check "the upgrade rebuilt: $V2 installed for $K1, $V gone" eval \
	'has "kvm-riscv/$V2, $K1, .*: installed" && ! has "kvm-riscv/$V[,:]"'
check "modinfo -k $K1 kvm: version $V2" test "$(run_in "modinfo -k $K1 -F version kvm")" = "$V2"
check "the $V source tree is gone after the upgrade" test ! -e "$(sysfile "/usr/src/kvm-riscv-$V")"

# Purge while our module is loaded: the operator is told what to do, and
# the stock kvm.ko is back on disk.
fs=$T_WORK/sysfs; mkdir -p "$fs/module/kvm"
echo "$V2" > "$fs/module/kvm/version"; echo 0123456789ABCDEF > "$fs/module/kvm/srcversion"
out=$(ROOT_SYSFS=$fs run_in "dpkg --purge kvm-riscv-dkms" 2>&1); rc=$?
check "dpkg --purge while loaded (exit $rc)" test $rc -eq 0
check "purge while loaded says the loaded module stays and how to switch" eval \
	'has "is the kvm-riscv build" && has "modprobe -r kvm && modprobe kvm"'
check "after purge the stock kvm.ko of $K1 is back byte-identical" \
	cmp -s "$(sysfile "/lib/modules/$K1/kernel/arch/riscv/kvm/kvm.ko")" "$STOCK/$K1/kvm.ko"
check "after purge modinfo -k $K1 kvm is the stock module" \
	test "$(resolved "$K1")" = "/lib/modules/$K1/kernel/arch/riscv/kvm/kvm.ko"
left=$(cd "$D/m.u" && find . -path ./proc -prune -o \( -path '*kvm-riscv*' -o -path '*/updates/dkms/*' \) -print | head -5)
check "purge leaves no kvm-riscv files${left:+ (left: $left)}" test -z "$left"
rm -rf "$stage"

# --- make dist ------------------------------------------------------------
out=$("$KR_TOP/scripts/kvm-riscv-pkg" dist "$K1" 2>"$T_WORK/dist.err"); rc=$?
tb=$KR_TOP/build/dist/kvm-riscv-$V.tar.xz sb=$KR_TOP/build/dist/kvm-riscv-$V-sources.tar.xz
check "make dist KVERS=$K1 (exit $rc)" test $rc -eq 0 -a -f "$tb" -a -f "$sb"
check "the project tarball holds the project (dkms.conf, series, debian/)" sh -c "
	tar -tJf '$tb' | grep -qx 'kvm-riscv-$V/dkms.conf' &&
	tar -tJf '$tb' | grep -qx 'kvm-riscv-$V/debian/control' &&
	tar -tJf '$tb' | grep -q 'kvm-riscv-$V/patches/04-redirect-trap-exit-stats/6.12/0002-'"
check "and no kernel source" sh -c "! tar -tJf '$tb' | grep -Eq '(kvm_main|vcpu_sbi_pmu)\.c$|/virt/kvm/'"
x=$T_WORK/bundle; mkdir -p "$x"; tar -C "$x" -xJf "$sb"
check "the sources bundle has linux-6.12 and the patched tree of $K1" \
	test -f "$x/kvm-riscv-$V-sources/sources/linux-6.12/virt/kvm/kvm_main.c" \
	-a -f "$x/kvm-riscv-$V-sources/kernels/$K1/arch/riscv/kvm/vcpu_exit.c" \
	-a -f "$x/kvm-riscv-$V-sources/kernels/$K1/fixes"
check "a build from the bundle's source (KSRC=) gives the same fixes" \
	cmp -s <("$KB" fixes KVER="$K1" KSRC="$x/kvm-riscv-$V-sources/sources/linux-6.12" 2>/dev/null) \
		"$x/kvm-riscv-$V-sources/kernels/$K1/fixes"
t_done

#!/bin/bash
# Fleets (make check-fleet): per-kernel module packages signed with a key
# made here, the self-test package, a signed apt repository of them, and a
# second repository one version later.  Then on Debian's riscv64 kernel
# under QEMU, in a Debian 13 riscv64 system with apt and dpkg (made with
# mmdebstrap under qemu-user), what an operator does (tests/fleet/init):
# install from the repository, load, self-test, upgrade, remove.
. "$(dirname "$0")/lib.sh"
. "$KR_TOP/scripts/root.sh"
. "$KR_TOP/tests/bed/setup.sh"

K=$T_KVER_612 V=$KR_VERSION
kr_apt_setup
kr_need gpg:gpg openssl:openssl
bed_qemu
bed_kernel "$K" >/dev/null
PKG=$KR_TOP/scripts/kvm-riscv-pkg

# --- Keys made for the test: module signing (X.509) and the archive (gpg).
openssl req -new -x509 -newkey rsa:3072 -nodes -days 2 -subj "/CN=kvm-riscv fleet test key/" \
	-keyout "$T_WORK/sign.key" -out "$T_WORK/sign.crt" 2>/dev/null
export GNUPGHOME=$T_WORK/gnupg
mkdir -m 700 "$GNUPGHOME"
gpg --batch --pinentry-mode loopback --passphrase '' --quick-gen-key 'kvm-riscv test archive <test@kvm-riscv.invalid>' rsa3072 sign 2d 2>/dev/null
FPR=$(gpg --batch --with-colons --list-secret-keys | awk -F: '$1 == "fpr" {print $10; exit}')
check "a throw-away archive key ($FPR)" test -n "$FPR"

# --- Errors an operator can make, each named, nothing built.
# failed_with TEXT: the last command ($rc, $out) failed (exit 1) saying TEXT.
failed_with() { [ "$rc" = 1 ] && grep -qF -- "$1" <<<"$out"; }
out=$("$PKG" repo KVER="$K" 2>&1); rc=$?
check "make repo without REPO_KEY: exit 1, says how to name one" failed_with 'REPO_KEY=<gpg key id>'
out=$("$PKG" modules-deb KVER="$K" SIGN_KEY="$T_WORK/sign.key" 2>&1); rc=$?
check "SIGN_KEY without SIGN_CERT: exit 1, named" failed_with 'SIGN_KEY and SIGN_CERT go together'
out=$("$PKG" modules-deb KVER="$K" SIGN_KEY="$T_WORK/sign.key" SIGN_CERT="$T_WORK/sign.key" 2>&1); rc=$?
check "a key given as the certificate: exit 1, named" failed_with 'is not an X.509 certificate'
out=$("$PKG" repo REPO_KEY=0000DEADBEEF KVER="$K" 2>&1); rc=$?
check "a REPO_KEY gpg does not have: exit 1, named" failed_with "gpg has no secret key '0000DEADBEEF'"

# --- The repository, version 1.
t0=$(date +%s)
repo1=$("$PKG" repo REPO_KEY="$FPR" KVER="$K" SIGN_KEY="$T_WORK/sign.key" SIGN_CERT="$T_WORK/sign.crt" \
	2>"$T_WORK/repo1.log" | tail -1)
secs1=$(( $(date +%s) - t0 ))
check "make repo (dkms, tests and module packages; $secs1 s)" test -f "$repo1/dists/kvm-riscv/InRelease" ||
	tail -5 "$T_WORK/repo1.log" | sed 's/^/#   /'
sed -n 's/^kvm-riscv: \(modules-deb\|tests-deb\|lintian\): /\1: /p' "$T_WORK/repo1.log" | sed 's/^/#   /'
mdeb=$(ls "$repo1"/pool/main/kvm-riscv-modules-"$K"_"$V"_riscv64.deb 2>/dev/null)
check "kvm-riscv-modules-$K in the pool" test -f "$mdeb"
ctl() { dpkg-deb -f "$mdeb" "$1"; }
imgver=$(dpkg-deb -f "$(kr_fetch "linux-image-$K:riscv64")" Version)
check "Depends: linux-image-$K (= $imgver), the exact kernel" grep -qF "linux-image-$K (= $imgver)" <<<"$(ctl Depends)"
check "Conflicts: kvm-riscv-dkms; Provides: kvm-riscv-modules" \
	test "$(ctl Conflicts)" = kvm-riscv-dkms -a "$(ctl Provides)" = kvm-riscv-modules
check "the description carries the fix table" grep -q '2d117e67f318: applied' <<<"$(ctl Description)"
x=$T_WORK/x; mkdir -p "$x"; dpkg-deb -x "$mdeb" "$x"
ko=$(find "$x" -path "*/$K/updates/kvm.ko")
check "kvm.ko in /usr/lib/modules/$K/updates (where the kernel's own modules are)" \
	test "${ko#"$x"}" = "/usr/lib/modules/$K/updates/kvm.ko"
check "signed with the key given, by the kernel's hash (signer: $(modinfo -F signer "$ko"), $(modinfo -F sig_hashalgo "$ko"))" \
	test "$(modinfo -F signer "$ko")" = "kvm-riscv fleet test key" -a "$(modinfo -F sig_hashalgo "$ko")" = sha256
check "the package's kvm.ko is the build's, stripped and signed: same version and fixes" \
	test "$(modinfo -F kvm_riscv_fixes "$ko")" = "$(modinfo -F kvm_riscv_fixes "$KR_TOP/build/$K/kvm.ko")"
check "lintian: no error or warning on the packages" \
	test "$(grep -c '^[EW]:' "$KR_TOP/build/modules/lintian.txt")" = 0
# The lint can fail: the same package without its copyright file.
b=$T_WORK/bad; mkdir -p "$b/root"
dpkg-deb -R "$mdeb" "$b/root"
rm "$b/root/usr/share/doc/kvm-riscv-modules-$K/copyright"
sed -i "\\|usr/share/doc/kvm-riscv-modules-$K/copyright|d" "$b/root/DEBIAN/md5sums"
dpkg-deb --root-owner-group --build "$b/root" "$b/bad.deb" >/dev/null
out=$("$PKG" lint "$b/bad.deb" 2>&1); rc=$?
check "lintian fails a module package without copyright (exit $rc)" failed_with 'no-copyright-file'
check "the Release is signed by the archive key" \
	grep -q 'Good signature' <<<"$(gpg --batch --verify "$repo1/dists/kvm-riscv/InRelease" 2>&1)"
check "the repository's Packages lists the three kinds of package" \
	test "$(grep -c '^Package: kvm-riscv-\(dkms\|tests\|modules-\)' "$repo1/dists/kvm-riscv/main/binary-riscv64/Packages")" = 3

# --- Every kernel of a line, in one command.
want=$(kr_apt_cache search --names-only '^linux-image-6\.12\.[0-9]+\+deb[0-9]+-riscv64$' 2>/dev/null |
	awk '{print $1}' | sed 's/^linux-image-//' | while read -r k; do
		[ -z "$(kr_candidate "linux-headers-$k" riscv64)" ] || echo "$k"; done | sort -V | tr '\n' ' ')
t0=$(date +%s)
got=$("$PKG" modules-deb LINE=6.12 2>"$T_WORK/line.log" | sed -n 's|.*/kvm-riscv-modules-\(.*\)_'"$V"'_riscv64.deb$|\1|p' | sort -V | tr '\n' ' ')
sed -n 's/^kvm-riscv: modules-deb: \(kvm-riscv-modules.*\)/\1/p' "$T_WORK/line.log" | sed 's/^/#   /'
check "make modules-deb LINE=6.12: a package for each 6.12 kernel the archive has ($got; $(( $(date +%s) - t0 )) s)" \
	test -n "$got" -a "$got" = "$want"

# --- Version 2: the same project one changelog entry later, as a
# release would be.
n=$T_WORK/next; mkdir -p "$n"
git -C "$KR_TOP" ls-files -z --cached --others --exclude-standard | (cd "$KR_TOP" && xargs -0 tar -c) | tar -C "$n" -x
V2=$V+fleettest1
{ printf 'kvm-riscv (%s) unstable; urgency=medium\n\n  * Test release (tests/t-fleet.sh).\n\n -- %s  %s\n\n' \
	"$V2" "$(sed -n 's/^Maintainer: //p' "$KR_TOP/debian/control")" "$(date -R)"
  cat "$KR_TOP/debian/changelog"; } > "$n/debian/changelog"
(cd "$n" && git init -q && git add -A)
t0=$(date +%s)
repo2=$("$n/scripts/kvm-riscv-pkg" repo REPO_KEY="$FPR" KVER="$K" SIGN_KEY="$T_WORK/sign.key" SIGN_CERT="$T_WORK/sign.crt" \
	2>"$T_WORK/repo2.log" | tail -1)
check "make repo of version $V2 ($(( $(date +%s) - t0 )) s)" test -f "$repo2/dists/kvm-riscv/InRelease"

# --- The riscv64 system: apt, dpkg, kmod and the kernel's image package
# (only its kvm.ko of the modules: the kernel boots from QEMU's -kernel).
t0=$(date +%s)
root=$(root_ensure "fleet-$K" trixie "kmod linux-image-$K" --arch=riscv64 \
	--dpkgopt='path-exclude=/usr/lib/modules/*/kernel/*' \
	--dpkgopt='path-include=/usr/lib/modules/*/kernel/arch/riscv/kvm/*' \
	--dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
	--dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*')
check "a Debian 13 riscv64 system with apt and linux-image-$K ($(( $(date +%s) - t0 )) s)" test -x "$root/usr/bin/apt-get"
r=$T_WORK/fleet; mkdir -p "$r/srv"
cp -a "$root/." "$r/"
rm -rf "$r/boot"/* "$r/.kr-root"
cp -a "$repo1" "$r/srv/repo-1"; cp -a "$repo2" "$r/srv/repo-2"
install -m 755 "$KR_TOP/tests/fleet/init" "$r/init"
(cd "$r" && find . | cpio -o -H newc --quiet) > "$T_WORK/fleet.cpio"
rm -rf "$r"
log=$KR_TOP/build/fleet-$K.log
bed_system "$log" "${FLEET_TIMEOUT:-1800}" "$T_WORK/fleet.cpio" FLT
flt() { bed_field "$log" FLT "$1"; }

check "the guest finished ($BED_SECS s, QEMU exit $BED_RC; log: $log)" grep -qx 'DONE' <(bed_lines "$log" FLT)
check "apt update verifies the signed repository" test "$(flt 'update-rc=')" = 0
check "apt-get install kvm-riscv-modules-$K kvm-riscv-tests" test "$(flt 'install-rc=')" = 0 -a "$(flt 'installed=')" = "$V"
check "modinfo -n kvm: updates/kvm.ko" test "$(flt 'modinfo-path=')" = "/lib/modules/$K/updates/kvm.ko"
check "modprobe kvm loads kvm-riscv $V, signed by the test key" \
	test "$(flt 'loaded-version=')" = "$V" -a "$(flt 'signer=')" = "kvm-riscv fleet test key"
st_line() { bed_lines "$log" FLT | sed -n "s/^$1: $2 *//p" | head -1; }
# has TEXT-REGEX STRING
has() { grep -q -- "$1" <<<"$2"; }
check "self-test on ours: exit 0" test "$(flt 'ours-rc=')" = 0
check "  af79caa83f6a: claimed applied, counters observed exact" \
	has '^applied *active *exit counters present and exact' "$(st_line ours af79caa83f6a)"
check "  2196c066f138: upstream, observed active" has '^upstream *active' "$(st_line ours 2196c066f138)"
check "  47d40d93292d: upstream, observed active" has '^upstream *active' "$(st_line ours 47d40d93292d)"
check "  2121cadec45a: HSM semantics" has '^upstream *semantics-ok' "$(st_line ours 2121cadec45a)"
check "  2d117e67f318: 3 unload/reload cycles with AIA, no warning" \
	has '^applied *active *3 unload/reload cycles with AIA' "$(st_line ours 2d117e67f318)"
check "  the host as found (module loaded, same code, no VM, no VMM)" \
	test -n "$(st_line ours af79caa83f6a)" -a "$(flt 'ours-host=')" = unchanged
json=$(flt 'ours-json: ')
check "self-test --json: status 0; three fixes observed active, HSM semantics-ok (no --cycles: teardown not run)" \
	test "$(grep -o '"observed":"active"' <<<"$json" | wc -l):$(grep -c '"observed":"semantics-ok"' <<<"$json"):$(grep -c '"status":0}$' <<<"$json")" = 3:1:1
check "apt upgrade to $V2 from the second repository" test "$(flt 'upgrade-rc=')" = 0 -a "$(flt 'installed2=')" = "$V2"
check "self-test before the reload: the loaded module is not the installed one" \
	has '"reload_needed":true' "$(flt 'stale: ')"
check "after a reload: kvm-riscv $V2 runs" test "$(flt 'loaded-version2=')" = "$V2"
check "apt-get remove: the kernel's own kvm.ko comes back" \
	test "$(flt 'remove-rc=')" = 0 -a "$(flt 'stock-version=')" = none -a \
		"$(flt 'stock-path=')" = "/lib/modules/$K/kernel/arch/riscv/kvm/kvm.ko.xz"
check "self-test on stock: exit 1" test "$(flt 'stock-rc=')" = 1
check "  af79caa83f6a: no claim, counters absent: missing" has '^none *missing *no exit counters' "$(st_line stock af79caa83f6a)"
check "  2196c066f138 (in Debian's source): observed active" has '^none *active' "$(st_line stock 2196c066f138)"
check "  stock --cycles under AIA: refused, the module stays loaded" \
	test "$(st_line stock-cycles 2d117e67f318 | grep -c 'not-run *refused: this module does not claim the fix')" = 1 \
		-a "$(flt 'stock-cycles-host=')" = unchanged
check "no kernel warning in the whole run" test "$(flt 'splats=')" = 0
t_done

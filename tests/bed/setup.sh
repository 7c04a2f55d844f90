# shellcheck shell=bash
# Test bed pieces, unpacked once into $KR_CACHE/bed, and the one QEMU
# machine definition and console-log reader (the bed and the native DKMS
# test boot the same way).  Sourced after scripts/lib.sh and archive.sh.

BED=$KR_CACHE/bed
# QEMU 10 from bookworm-backports runs unpacked on bookworm (7.2 hangs with
# AIA); its libraries are bookworm's.
BED_QEMU_VER=${BED_QEMU_VER:-1:10.0.2+ds-2+deb13u1~bpo12+1}
BED_OPENSBI_VER=${BED_OPENSBI_VER:-1.5.1-1~bpo12+2}
BED_QEMU_LIBS="libaio1 libbpf1 libcapstone4 libfdt1 libfuse3-3 libglib2.0-0 libgmp10
	libgnutls30 libhogweed6 libibverbs1 libjpeg62-turbo libnettle8 libnuma1
	libpixman-1-0 libpmem1 libpng16-16 librdmacm1 libsasl2-2 libseccomp2
	libslirp0 libudev1 liburing2 libvdeplug2 libzstd1 zlib1g"

bed_qemu() {
	local q=$BED/qemu deb missing= p
	QEMU=$q/usr/bin/qemu-system-riscv64
	if [ ! -x "$QEMU" ]; then
		for p in $BED_QEMU_LIBS; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
		if [ -n "$missing" ]; then
			need_root "installing QEMU's libraries"
			msg "installing QEMU's host libraries:$missing"
			apt-get install -y -q --no-install-recommends $missing >/dev/null ||
				die "could not install$missing"
		fi
		rm -rf "$q.tmp"; mkdir -p "$q.tmp"
		for deb in $(kr_fetch "qemu-system-riscv:amd64=$BED_QEMU_VER" \
			"qemu-system-common:amd64=$BED_QEMU_VER" "qemu-system-data=$BED_QEMU_VER" \
			"opensbi=$BED_OPENSBI_VER"); do
			dpkg-deb -x "$deb" "$q.tmp"
		done
		rm -rf "$q"; mv "$q.tmp" "$q"
	fi
	export QEMU_MODULE_DIR=$q/usr/lib/x86_64-linux-gnu/qemu
	QEMU_DATA=$q/usr/share/qemu
	"$QEMU" --version >/dev/null 2>&1 || die "the unpacked QEMU does not run (missing host library?)"
}

# bed_kernel KVER: $BED/k/KVER/{vmlinuz,kvm.ko} from the image packages:
# the kernel the bed boots and the distro's own (stock) kvm.ko; for a debug
# kernel (X.Y.Z-kvmdebug), its own build's.
bed_kernel() {
	local k=$BED/k/$1 deb m pkg img
	BED_K=$k
	# A debug kernel of the debug bed: built from source, kept in its dir.
	case $1 in *-kvmdebug)
		BED_K=$("$KR_TOP/scripts/debug-kernel" ensure "$1") || exit 1
		return ;;
	esac
	[ -s "$k/vmlinuz" ] && [ -s "$k/kvm.ko" ] && return
	rm -rf "$k.tmp"; mkdir -p "$k.tmp"
	for pkg in linux-image-$1 linux-binary-$1 linux-modules-$1; do
		deb=$(kr_fetch "$pkg:riscv64" 2>/dev/null) || continue
		# 7.x ships the image as /usr/lib/modules/KVER/vmlinuz.
		dpkg-deb --fsys-tarfile "$deb" | tar -C "$k.tmp" -x --wildcards './boot/vmlinu*' \
			'*/modules/*/vmlinuz' '*/kvm/kvm.ko*' 2>/dev/null || true
	done
	m=$(find "$k.tmp" -name 'kvm.ko*' | head -1)
	img=$(find "$k.tmp" -name 'vmlinu*' -type f | head -1)
	[ -n "$m" ] && [ -n "$img" ] || die "no kernel image or kvm.ko for $1 in the archive"
	case $m in *.xz) xz -dc "$m" > "$k.tmp/kvm.ko" ;; *.zst) zstd -qdc "$m" > "$k.tmp/kvm.ko" ;;
		*) cp "$m" "$k.tmp/kvm.ko" ;; esac
	mv "$img" "$k.tmp/vmlinuz.new"; mv "$k.tmp/vmlinuz.new" "$k.tmp/vmlinuz"
	rm -rf "$k.tmp/boot" "$k.tmp/usr" "$k.tmp/lib"
	rm -rf "$k"; mv "$k.tmp" "$k"
}

bed_busybox() {
	BUSYBOX=$BED/busybox
	[ -x "$BUSYBOX" ] && return
	local deb t
	deb=$(kr_fetch "busybox-static:riscv64")
	t=$(mktemp -d)
	dpkg-deb -x "$deb" "$t"
	cp "$t/usr/bin/busybox" "$BUSYBOX.tmp" 2>/dev/null || cp "$t/bin/busybox" "$BUSYBOX.tmp"
	rm -rf "$t"; mv "$BUSYBOX.tmp" "$BUSYBOX"
}

# bed_boot LOG LIMIT MACHINE MEMORY INITRD CMDLINE: boot BED_K's kernel
# under QEMU (TCG; H extension, and AIA with MACHINE=aia) for at most
# LIMIT seconds, console to LOG.  Returns QEMU's status (124: timed out).
bed_boot() {
	local log=$1 limit=$2 machine=$3 mem=$4 initrd=$5 append=$6 mach cpu
	if [ "$machine" = aia ]; then
		mach=virt,aia=aplic-imsic,aia-guests=7
		cpu=rv64,h=true,smaia=true,ssaia=true,sstc=true,sscofpmf=true,svinval=true
	else
		mach=virt
		cpu=rv64,h=true,sstc=true,sscofpmf=true,svinval=true
	fi
	# BED_CPU_EXTRA: more -cpu properties, to show a check failing on
	# another CPU (e.g. pmu-mask=0: no programmable counters).
	[ -z "${BED_CPU_EXTRA:-}" ] || cpu=$cpu,$BED_CPU_EXTRA
	# BED_QEMU_EXTRA: more QEMU options, BED_SMP: CPUs (the bench's
	# instruction-counted boot: -icount, one CPU).
	# shellcheck disable=SC2086
	timeout "$limit" "$QEMU" -L "$QEMU_DATA" -M "$mach" -cpu "$cpu" -smp "${BED_SMP:-2}" -m "$mem" ${BED_QEMU_EXTRA:-} \
		-nographic -no-reboot -kernel "$BED_K/vmlinuz" -initrd "$initrd" \
		-append "$append" </dev/null >"$log" 2>&1
}

# bed_system LOG LIMIT INITRD TAG: boot a whole Debian system in RAM (its
# /init reports "TAG: ..." lines and powers off) on the AIA machine; the
# lines are printed as TAP comments.  Sets BED_RC (QEMU's status) and
# BED_SECS.
bed_system() {
	local t0
	mkdir -p "$(dirname "$1")"
	t0=$(date +%s) BED_RC=0
	bed_boot "$1" "$2" aia 4G "$3" "console=ttyS0 rdinit=/init panic=-1 quiet" || BED_RC=$?
	BED_SECS=$(( $(date +%s) - t0 ))
	bed_lines "$1" "$4" | sed 's/^/#   /'
}

# bed_lines LOG TAG: the guest's "TAG: ..." report lines (console CRs dropped).
bed_lines() { tr -d '\r' < "$1" | sed -n "s/^$2: //p"; }
# bed_field LOG TAG KEY: the rest of the first "TAG: KEY..." line.
bed_field() { bed_lines "$1" "$2" | sed -n "s/^$3//p" | head -1; }

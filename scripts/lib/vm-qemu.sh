# The QEMU guest of scripts/vm and scripts/vm-install, and how its kernel
# log is judged; sourced, not run.
# shellcheck shell=bash
# shellcheck disable=SC2034 # vm_* and VM_SHARE are for the scripts that source this

# The options for 9p shares of host directories.
VM_SHARE=security_model=none,multidevs=remap

# Sets, for the guest kernel named $1 (scripts/vm's --kernel): vm_arch
# (x86_64 or arm64), kver (its release), vm_image (its image), vm_root (the
# root it runs: this machine's, shared over 9p, or, for arm64, the image
# of scripts/arm64-root, a read-only disk) and vm_root_args (QEMU's
# arguments for that root, tagged "host" for 9p); for arm64 also
# VM_MODROOT and VM_BUSYBOX (its modules and busybox, here) for
# vm_module_files and vm_initramfs. The arm64 kernels are the twins of the
# newest installed amd64 6.12, as scripts/cross-module builds for.
vm_guest_kernel() {
	case $1 in
	arm64 | arm64-16k)
		local base dir
		dir=$(scripts/arm64-root) || die "scripts/arm64-root failed"
		base=$(kernel_release 6.12)
		kver=${base%-amd64}-$1
		vm_arch=arm64
		vm_image=$dir/boot/vmlinuz-$kver
		[ -f "$vm_image" ] || die "no $vm_image: scripts/arm64-root did not unpack it"
		vm_root=$dir/root.img
		vm_root_args=(-drive "file=$vm_root,if=virtio,format=raw,readonly=on")
		export VM_MODROOT=$dir VM_BUSYBOX=$dir/busybox
		;;
	*)
		kver=$(kernel_release "$1")
		vm_arch=x86_64
		vm_image=/boot/vmlinuz-$kver
		[[ $1 != */* ]] || vm_image=$1
		vm_root=/
		vm_root_args=(-virtfs "local,path=/,mount_tag=host,readonly=on,$VM_SHARE")
		;;
	esac
}

# Sets the array vm_qemu to run a TCG guest of architecture $1 (x86_64 or
# arm64) with $2 MiB of memory booting kernel image $3 with initramfs $4 and
# command line $5 (the console is added here); the caller adds its serial
# port, shares and devices.
#
# x86_64: avx2=off, as QEMU 7.2's TCG mis-emulates AVX2 gathers
# (VPGATHERDQ), and libdav1d segfaults in the guest on AV1 clips the same
# binary decodes on the host (SSE4 and AVX stay on); acpi=noirq, as
# routing PCI interrupts through ACPI took the debug kernel 20-30 s per
# virtio device (virtio uses MSI-X anyway).
#
# arm64: QEMU's virt board with the Raspberry Pi 5's own core, the
# Cortex-A76 (ARMv8.2 with its extensions, and AArch32 at EL0 for 32-bit
# programs): an instruction the Pi lacks fails here as on the board, where
# -cpu max would emulate it. CMA is reserved as Raspberry Pi OS does, so
# the module chooses dma-contig from CMA as it does on a Pi.
vm_qemu_base() {
	case $1 in
	x86_64)
		vm_qemu=(
			qemu-system-x86_64 -cpu "max,avx2=off"
			-append "console=ttyS0 acpi=noirq $5"
		)
		;;
	arm64)
		vm_qemu=(
			qemu-system-aarch64 -M virt -cpu cortex-a76
			-append "console=ttyAMA0 cma=256M $5"
		)
		;;
	*) die "no QEMU guest for architecture $1" ;;
	esac
	vm_qemu+=(
		-nodefaults -no-user-config -accel tcg
		-smp 2 -m "$2" -display none -monitor none -no-reboot
		-kernel "$3" -initrd "$4"
	)
}

# Makes the arm64 guest whose QEMU command line is the array named $1 a
# Raspberry Pi 5 stand-in for what looks at the machine: QEMU's own device
# tree for that command line (it depends on every option) is dumped to
# directory $2 with its root compatible made the Pi 5's, and passed with
# -dtb. The board stays QEMU's virt; only the module's Pi 5 rules
# (/dev/video10) see the difference.
vm_pi5_dtb() {
	local -n q=$1
	local dtb=$2/pi5.dtb
	"${q[@]}" -machine "dumpdtb=$dtb" </dev/null >/dev/null 2>&1 || die "QEMU did not dump its device tree"
	fdtput -t s "$dtb" / compatible "raspberrypi,5-model-b" "brcm,bcm2712" || die "fdtput failed on $dtb"
	q+=(-dtb "$dtb")
}

# Prints each distinct line of kernel logs $@ that reports a problem: a
# warning, bug, oops, sanitizer, lockdep or hung-task report. (kmemleak's
# reports are judged by vm_media_leaks: its log line counts every leak.)
vm_kernel_problems() {
	local splat='WARNING:|BUG:|kernel BUG at|Oops|Kernel panic|KASAN|UBSAN|possible circular locking|'
	splat+='inconsistent lock state|suspicious RCU|blocked for more than|'
	splat+='general protection fault|Call Trace'
	# From the harness's first line on where it got that far: a report
	# before it is the kernel's own boot, with no module loaded (the debug
	# kernel's KASAN once caught an early interrupt under TCG there).
	local f
	for f in "$@"; do
		[ -s "$f" ] || continue
		if grep -q 'daedalus-vm: begin' "$f"; then
			sed -n '/daedalus-vm: begin/,$p' "$f"
		else
			cat "$f"
		fi
	done | grep -E "$splat" | sed 's/^\[ *[0-9.]*\] //' | awk '!seen[$0]++' || true
}

# Prints the objects of kmemleak report $1 whose allocation backtrace passes
# through the module, videobuf2, V4L2 or the media controller; a frame
# without a symbol is an unloaded module's (the scan runs after rmmod).
vm_media_leaks() {
	awk '
		/^unreferenced object/ { if (ours) printf "%s", obj; obj = ""; ours = 0 }
		{ obj = obj $0 "\n" }
		/daedalus|vb2_|videobuf2|v4l2_|video_|media_|^ +(\[<[0-9a-f]+>\] )?0x[0-9a-f]+$/ { ours = 1 }
		END { if (ours) printf "%s", obj }
	' "$1"
}

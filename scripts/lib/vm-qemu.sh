# The QEMU guest of scripts/vm and scripts/vm-install, and how its kernel
# log is judged; sourced, not run.
# shellcheck shell=bash
# shellcheck disable=SC2034 # vm_qemu and VM_SHARE are for the scripts that source this

# The options for 9p shares of host directories.
VM_SHARE=security_model=none,multidevs=remap

# Sets the array vm_qemu to run a TCG guest with $1 MiB of memory booting
# kernel image $2 with initramfs $3 and command line $4; the caller adds its
# console, shares and devices. The kernel command line should carry
# acpi=noirq: routing PCI interrupts through ACPI took the debug kernel
# 20-30 s per virtio device (virtio uses MSI-X anyway).
# avx2=off: QEMU 7.2's TCG mis-emulates AVX2 gathers (VPGATHERDQ), and
# libdav1d segfaults in the guest on AV1 clips the same binary decodes on
# the host. SSE4 and AVX stay on.
vm_qemu_base() {
	vm_qemu=(
		qemu-system-x86_64 -nodefaults -no-user-config -accel tcg -cpu "max,avx2=off"
		-smp 2 -m "$1" -display none -monitor none -no-reboot
		-kernel "$2" -initrd "$3" -append "$4"
	)
}

# Prints each distinct line of kernel logs $@ that reports a problem: a
# warning, bug, oops, sanitizer, lockdep, hung-task or kmemleak report.
vm_kernel_problems() {
	local splat='WARNING:|BUG:|kernel BUG at|Oops|Kernel panic|KASAN|UBSAN|possible circular locking|'
	splat+='inconsistent lock state|suspicious RCU|blocked for more than|'
	splat+='general protection fault|new suspected memory leak|Call Trace'
	cat "$@" 2>/dev/null | grep -E "$splat" | sed 's/^\[ *[0-9.]*\] //' | awk '!seen[$0]++' || true
}

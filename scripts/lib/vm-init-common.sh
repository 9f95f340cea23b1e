# shellcheck shell=dash
# What both /init scripts of the VM initramfs do first (busybox sh; the
# initramfs carries this as /init-common.sh): busybox's applets, the
# kernel's file systems, the console, and the modules in their load order.

/bin/busybox --install -s
export PATH=/sbin:/bin:/usr/sbin:/usr/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/null >/dev/console 2>&1

fail() {
	echo "vm /init: $*"
	sync
	poweroff -f
}

while read -r m; do
	insmod "/mods/$m" || fail "insmod $m failed"
done </mods/order

# 9p over virtio, with large messages (for the /init that sources this).
# shellcheck disable=SC2034
p9=trans=virtio,version=9p2000.L,msize=1048576

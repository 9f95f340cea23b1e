#!/bin/busybox sh
# shellcheck shell=dash
# /init of the scripts/vm initramfs (busybox sh): load the modules, mount the
# root read-only (the host's over 9p, or the arm64 guests' disk) with the
# guest's own proc, sys, dev and tmpfs mounts inside it, run scripts/lib/vm-guest.sh of the project in a chroot of
# it, power off. Its messages go to the kernel console (ttyS0).

# shellcheck source=scripts/lib/vm-init-common.sh
. /init-common.sh

r=/newroot
# The root: a disk where there is one (the arm64 guests' image, read-only,
# under a tmpfs overlay so that the project's mount point can be made),
# else the host's root over 9p. cache=loose: without it loading ffmpeg's
# libraries over 9p dominates.
if [ -b /dev/vda ]; then
	mkdir -p /lower /rw
	mount -t ext4 -o ro /dev/vda /lower || fail "cannot mount the root's disk"
	mount -t tmpfs -o mode=755 tmpfs /rw || fail "cannot mount the overlay's tmpfs"
	mkdir -p /rw/upper /rw/work
	mount -t overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work overlay $r ||
		fail "cannot mount the overlay root"
else
	mount -t 9p -o "$p9,cache=loose,ro" host $r || fail "cannot mount the host root"
fi
mount -t proc proc $r/proc
mount -t sysfs sysfs $r/sys
mount -t devtmpfs devtmpfs $r/dev
mkdir -p $r/dev/pts $r/dev/shm
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts $r/dev/pts
mount -t tmpfs -o mode=1777 tmpfs $r/dev/shm
mount -t tmpfs -o mode=1777 tmpfs $r/tmp
mount -t tmpfs -o mode=1777 tmpfs $r/var/tmp
mount -t tmpfs -o mode=755 tmpfs $r/run
mount -t tmpfs -o mode=700 tmpfs $r/root
mount -t debugfs debugfs $r/sys/kernel/debug
mount -t tracefs tracefs $r/sys/kernel/tracing 2>/dev/null

# The run's writable share: its config, results and the guest dmesg.
mkdir $r/run/vm
mount -t 9p -o "$p9" results $r/run/vm || fail "cannot mount the results share"
read -r project <$r/run/vm/project || fail "no project path in the results share"
# The project has a share of its own: it may sit below one of the tmpfs above.
mkdir -p "$r$project" 2>/dev/null
mount -t 9p -o "$p9,cache=loose,ro" project "$r$project" || fail "cannot mount the project"

# Messages up to KERN_INFO from here on; the boot itself stays quiet.
echo 7 >/proc/sys/kernel/printk
chroot $r /bin/bash "$project/scripts/lib/vm-guest.sh" || echo "vm-init: vm-guest.sh exited with $?"
sync
poweroff -f

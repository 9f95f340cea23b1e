#!/bin/busybox sh
# shellcheck shell=dash
# /init of scripts/arm64-root's guest (busybox sh, arm64), where the host
# cannot run arm64 programs itself: the second stage
# (scripts/lib/arm64-root-stage2.sh) in the root on the virtio disk. The
# exit status goes into the root as /.daedalus-status; the host reads it
# from the image after poweroff.

# shellcheck source=scripts/lib/vm-init-common.sh
. /init-common.sh

r=/newroot
# No barriers: a second stage cut short makes the image again anyway.
mount -t ext4 -o nobarrier /dev/vda $r || fail "cannot mount the root's disk"
# The first stage leaves /proc a link to the host's.
[ ! -L $r/proc ] || { rm $r/proc && mkdir $r/proc; }
mount -t proc proc $r/proc
mount -t sysfs sysfs $r/sys
mount -t devtmpfs devtmpfs $r/dev
mount -t tmpfs tmpfs $r/tmp
# container=lxc: /dev is the guest's devtmpfs already.
container=lxc chroot $r /bin/sh /daedalus-stage2.sh
rc=$?
rm -f $r/daedalus-stage2.sh
echo $rc >$r/.daedalus-status
echo "arm64-root: done with status $rc"
umount $r/tmp $r/dev $r/sys $r/proc
sync
umount $r
poweroff -f

#!/bin/busybox sh
# shellcheck shell=dash
# /init of scripts/arm64-root's guest (busybox sh, arm64): debootstrap's
# second stage in the root on the virtio disk, then the root's own steps
# (the kernels and headers the host fetched from bookworm-security, and the
# library cache for the clients unpacked beside the installed system). The exit
# status goes into the root as /.daedalus-status; the host reads it from
# the image after poweroff.

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
echo "arm64-root: second stage"
# container=lxc: /dev is the guest's devtmpfs already.
container=lxc chroot $r /debootstrap/debootstrap --second-stage
rc=$?
if [ $rc = 0 ]; then
	echo "arm64-root: the kernel headers"
	chroot $r /bin/sh -c 'export DEBIAN_FRONTEND=noninteractive PATH=/usr/sbin:/usr/bin:/sbin:/bin
		dpkg -i /var/cache/daedalus-extra/*.deb && rm -rf /var/cache/daedalus-extra &&
		apt-get clean && rm /etc/dpkg/dpkg.cfg.d/daedalus-unsafe-io && ldconfig'
	rc=$?
fi
echo $rc >$r/.daedalus-status
echo "arm64-root: done with status $rc"
umount $r/tmp $r/dev $r/sys $r/proc
sync
umount $r
poweroff -f

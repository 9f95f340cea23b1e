#!/bin/sh
# The steps of scripts/arm64-root that run inside the arm64 root, as
# /daedalus-stage2.sh, with /proc, /sys and /tmp mounted: debootstrap's
# second stage (the packages' own arm64 scripts), then the kernels and
# headers the host fetched from bookworm-security, and the library cache
# for the clients unpacked beside the installed system. Run by chroot,
# either on the host through qemu-user and binfmt_misc or in an arm64
# guest (scripts/lib/arm64-root-init.sh).
set -e
export DEBIAN_FRONTEND=noninteractive PATH=/usr/sbin:/usr/bin:/sbin:/bin
echo "arm64-root: second stage"
/debootstrap/debootstrap --second-stage
echo "arm64-root: the kernels and their headers"
dpkg -i /var/cache/daedalus-extra/*.deb
rm -rf /var/cache/daedalus-extra
apt-get clean
rm /etc/dpkg/dpkg.cfg.d/daedalus-unsafe-io
ldconfig

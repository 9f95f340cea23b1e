#!/bin/busybox sh
# shellcheck shell=dash
# /init of the scripts/vm-install initramfs (busybox sh): a whole Debian
# system rather than a chroot. The host root, shared read-only over 9p (or
# the arm64 root's read-only disk), is the lower layer of an overlay whose
# upper layer is a tmpfs, so the guest can install packages without
# touching the host. The run's results share is
# mounted at /vmresults; the unit that runs the test is added to the
# overlay, and systemd boots it as PID 1.

# shellcheck source=scripts/lib/vm-init-common.sh
. /init-common.sh

mkdir -p /lower /rw
# The lower layer: a disk where there is one (the arm64 root's image), else
# the host root over 9p.
if [ -b /dev/vda ]; then
	mount -t ext4 -o ro /dev/vda /lower || fail "cannot mount the root's disk"
else
	mount -t 9p -o "$p9,cache=loose,ro" host /lower || fail "cannot mount the host root"
fi
mount -t tmpfs -o mode=755 tmpfs /rw || fail "cannot mount the overlay's tmpfs"
mkdir -p /rw/upper /rw/work
mount -t overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work overlay /newroot ||
	fail "cannot mount the overlay root"
mkdir -p /newroot/vmresults
mount -t 9p -o "$p9" results /newroot/vmresults || fail "cannot mount the results share"
read -r project </newroot/vmresults/project || fail "no project path in the results share"
# The project has a share of its own: the arm64 root does not hold it.
mkdir -p "/newroot$project"
mount -t 9p -o "$p9,cache=loose,ro" project "/newroot$project" || fail "cannot mount the project"

# The test, as a unit that powers the guest off when it is done; what a
# headless guest without a network does not need is masked.
u=/newroot/etc/systemd/system
mkdir -p "$u/multi-user.target.wants"
cat >"$u/daedalus-install-test.service" <<UNIT
[Unit]
Description=daedalus-v4l2 install test
After=multi-user.target

[Service]
Type=oneshot
Environment=PROJECT=$project
ExecStart=/bin/bash $project/scripts/lib/install-guest.sh
StandardOutput=append:/vmresults/log
StandardError=append:/vmresults/log
ExecStopPost=/bin/systemctl poweroff --force
UNIT
ln -s ../daedalus-install-test.service "$u/multi-user.target.wants/"
for m in getty@tty1 serial-getty@ttyS0 serial-getty@ttyAMA0 systemd-timesyncd apt-daily apt-daily-upgrade \
	apt-daily.timer apt-daily-upgrade.timer man-db.timer e2scrub_all.timer fstrim.timer \
	logrotate.timer dpkg-db-backup.timer systemd-networkd networking ssh cron docker containerd \
	postgresql postgresql@15-main console-getty; do
	case $m in *.*) ;; *) m=$m.service ;; esac
	ln -sf /dev/null "$u/$m"
done

# The host root may be a container image whose policy-rc.d forbids starting
# services: a real system has none.
rm -f /newroot/usr/sbin/policy-rc.d

# apt's file method died of SIGILL in libgcrypt under TCG: keep libgcrypt
# to the instructions QEMU emulates well.
mkdir -p /newroot/etc/gcrypt
printf '%s\n' intel-avx intel-avx2 intel-shaext intel-vaes-vpclmul \
	>/newroot/etc/gcrypt/hwf.deny

echo "vm-system-init: booting systemd"
exec switch_root /newroot /lib/systemd/systemd

#!/bin/bash
# Guest side of scripts/vm-install, run by systemd in a whole Debian system
# (an overlay over the host root): install the packages with apt, load the
# module, decode as an ordinary user in group video, upgrade, purge, install
# again. Every step says what it checked; the first failure ends the run.
# Writes /vmresults/status (0 when everything held) and the guest's journal.
# shellcheck disable=SC2317 # the helpers below run through check and waitfor
set -uo pipefail
res=/vmresults
# shellcheck source=/dev/null # written by scripts/vm-install
. "$res/config"
export DEBIAN_FRONTEND=noninteractive
t0=$SECONDS

say() { echo "install: [$((SECONDS - t0)) s] $*"; }
finish() {
	journalctl -b --no-pager >"$res/journal" 2>&1
	dmesg >"$res/dmesg"
	echo "$1" >"$res/status"
	sync
	exit "$1"
}
fail() {
	say "FAIL: $*"
	systemctl status --no-pager daedalusd.service 2>&1 | tail -n 20
	finish 1
}
check() {
	local what=$1
	shift
	"$@" || fail "$what"
	say "ok: $what"
}
waitfor() {
	local what=$1 until=$((SECONDS + 60))
	shift
	while [ "$SECONDS" -le "$until" ]; do
		"$@" 2>/dev/null && {
			say "ok: $what"
			return 0
		}
		sleep 0.2
	done
	fail "$what (waited 60 s)"
}

apt_install() { apt-get install -y -q --no-install-recommends "$@" >>"$res/apt.log" 2>&1; }
# dkms's own status pipeline may complain of a broken pipe on stderr.
dkms_has() { dkms status -m daedalus-v4l2 -v "$1" -k "$(uname -r)" 2>/dev/null | grep ': installed' >/dev/null; }
module_file() { modinfo -n daedalus_v4l2 2>/dev/null; }
daemon_pid() { systemctl show -p MainPID --value daedalusd.service; }
daemon_serves() {
	[ "$(systemctl is-active daedalusd.service)" = active ] &&
		[ "$(cat /sys/class/misc/daedalus-v4l2/daemon_pid 2>/dev/null)" = "$(daemon_pid)" ]
}
wanted_by() { systemctl show -p WantedBy --value daedalusd.service; }
owner() { stat -L -c '%U:%G %a' "$1"; }
video_node() {
	local d
	for d in /sys/class/video4linux/video*; do
		[ "$(cat "$d/name")" = daedalus-dec ] && echo "/dev/${d##*/}" && return
	done
	return 1
}
md5s() { grep -v '^#' | cut -d, -f6 | tr -d ' '; }
decodes_bit_exact() {
	local want got
	want=$(ffmpeg -nostdin -v error -i "$CLIP" -f framemd5 - | md5s)
	got=$(runuser -u viewer -- ffmpeg -nostdin -v error -c:v h264_v4l2m2m -i "$CLIP" -f framemd5 - | md5s)
	[ -n "$want" ] && [ "$got" = "$want" ]
}

# Everything a working install shows, after the module is loaded.
installed_and_serving() {
	local v=$1 node pid user
	waitfor "the bridge appears" test -e /dev/daedalus-v4l2
	waitfor "daedalusd.service runs and holds the bridge" daemon_serves
	pid=$(daemon_pid)
	user=$(ps -o user= -p "$pid")
	check "the daemon runs as daedalusd, not root (it is $user)" test "$user" = daedalusd
	check "the bridge is the daemon's alone: $(owner /dev/daedalus-v4l2)" \
		test "$(owner /dev/daedalus-v4l2)" = "daedalusd:daedalusd 600"
	node=$(video_node) || fail "no daedalus-dec video node"
	check "$node is for group video: $(owner "$node")" test "$(owner "$node")" = "root:video 660"
	check "/dev/video-dec0 points at $node" test "$(readlink -f /dev/video-dec0)" = "$node"
	if tr '\0' '\n' </proc/device-tree/compatible 2>/dev/null | grep -qx 'brcm,bcm2712'; then
		check "a Raspberry Pi 5: the node is /dev/video10, where Chromium looks" test "$node" = /dev/video10
	fi
	check "the bridge's device unit wants the service, so boot starts it too ($(wanted_by))" \
		bash -c "systemctl show -p WantedBy --value daedalusd.service | grep -qE 'misc-daedalus.+v4l2\.device'"
	check "DKMS built $v for $(uname -r)" dkms_has "$v"
	check "the module says $v: $(cat /sys/module/daedalus_v4l2/version)" \
		test "$(cat /sys/module/daedalus_v4l2/version)" = "$v"
	check "the daemon says $v: $(daedalusd --version)" test "$(daedalusd --version)" = "$v"
	check "the packaged shim is the one in use" \
		grep -q "/usr/lib/$TRIPLET/daedalus-v4l2/libdaedalus-shim.so" "/proc/$pid/maps"
	check "daedalusd doctor: healthy" daedalusd doctor
	check "user viewer (group video, not root) decodes $(basename "$CLIP") bit-exact" decodes_bit_exact
}

if [ "$QUICK" = 1 ]; then
	say "kernel $(uname -r); packages $OLD_VERSION"
else
	say "kernel $(uname -r); packages $OLD_VERSION, then $NEW_VERSION"
fi
useradd -m -G video viewer || fail "useradd viewer"

# 1. A first install: DKMS builds the module; modprobe brings up the rest.
check "apt install $OLD_VERSION (log: apt.log)" apt_install "$OLD_DIR"/daedalus-v4l2-dkms_*_all.deb "$OLD_DIR"/daedalusd_*_"$ARCH".deb
check "the daemon's system user exists" getent passwd daedalusd
check "modprobe daedalus_v4l2 loads the DKMS build ($(module_file))" modprobe daedalus_v4l2
installed_and_serving "$OLD_VERSION"

# A quick run (CI's) ends here: the upgrade builds the module twice more,
# and the purge's dkms remove and depmod alone take over two minutes in
# the guest; the maintainer scripts behind them change far less often
# than what step 1 checks.
if [ "$QUICK" = 1 ]; then
	say "all steps of the quick run held"
	finish 0
fi

# 2. An upgrade restarts the daemon and rebuilds the module.
old_pid=$(daemon_pid)
old_ko=$(stat -c %Y "$(module_file)")
sleep 1
check "apt install $NEW_VERSION over $OLD_VERSION" apt_install "$NEW_DIR"/daedalus-v4l2-dkms_*_all.deb "$NEW_DIR"/daedalusd_*_"$ARCH".deb
check "the upgrade restarted the daemon" test "$(daemon_pid)" != "$old_pid"
check "DKMS dropped $OLD_VERSION" test -z "$(dkms status -m daedalus-v4l2 -v "$OLD_VERSION")"
check "the module file was rebuilt" test "$(stat -c %Y "$(module_file)")" != "$old_ko"
check "rmmod, modprobe: the rebuilt module" bash -c "systemctl stop daedalusd && rmmod daedalus_v4l2 && modprobe daedalus_v4l2"
installed_and_serving "$NEW_VERSION"

# 3. Purge leaves nothing behind.
systemctl stop daedalusd.service
rmmod daedalus_v4l2 || fail "rmmod before the purge"
check "apt purge" bash -c "apt-get purge -y -q daedalusd daedalus-v4l2-dkms >>$res/apt.log 2>&1"
for f in /usr/bin/daedalusd /lib/systemd/system/daedalusd.service /lib/udev/rules.d/60-daedalusd.rules \
	/usr/lib/sysusers.d/daedalusd.conf /usr/lib/modules-load.d/daedalus-v4l2.conf /etc/daedalus-v4l2 \
	/usr/lib/$TRIPLET/daedalus-v4l2 "/usr/src/daedalus-v4l2-$NEW_VERSION" /var/lib/dkms/daedalus-v4l2; do
	check "purged: $f" test ! -e "$f"
done
check "purged: the module file" bash -c "! find /lib/modules/$(uname -r) -name 'daedalus_v4l2.ko*' | grep -q ."
check "purged: user daedalusd" bash -c "! getent passwd daedalusd"
check "purged: group daedalusd" bash -c "! getent group daedalusd"
check "purged: the daemon is stopped" bash -c "! systemctl -q is-active daedalusd.service"

# 4. Installing again after the purge works as the first time did.
check "apt install $OLD_VERSION after the purge" apt_install "$OLD_DIR"/daedalus-v4l2-dkms_*_all.deb "$OLD_DIR"/daedalusd_*_"$ARCH".deb
check "modprobe daedalus_v4l2" modprobe daedalus_v4l2
installed_and_serving "$OLD_VERSION"

say "all steps held"
finish 0

#!/bin/bash
# Guest side of scripts/vm, run by the initramfs's /init as root in a chroot
# of the host root: load daedalus_v4l2, start the daemon, run the command,
# stop the daemon, unload the module, leave the results in /run/vm.
#
# /run/vm is the run's writable share. The host writes `config` (sourced
# here); this writes `status` (the command's exit status), `rmmod`, `error`
# (why the command did not run), `dmesg`, `daemon.log` and `kmemleak`.
set -uo pipefail
res=/run/vm
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=dumb
unset TMPDIR

# The host's stdout, stderr and a control channel are virtio serial ports;
# they are not ttys, so nothing rewrites the bytes. They may show up a moment
# after the driver loaded.
port() {
	local p n
	for p in /sys/class/virtio-ports/*; do
		read -r n <"$p/name" 2>/dev/null || continue
		[ "$n" != "$1" ] || {
			echo "/dev/${p##*/}"
			return 0
		}
	done
	return 1
}
for _ in $(seq 100); do
	out=$(port daedalus.stdout) && err=$(port daedalus.stderr) && ctl=$(port daedalus.ctl) && break
	sleep 0.1
done
[ -n "${ctl:-}" ] || {
	echo "vm: the virtio serial ports did not show up" | tee "$res/error"
	exit 1
}
exec >"$out" 2>"$err" </dev/null 3>"$ctl"

note() { echo "vm: $*" >&2; }
# The host reports the error.
fail() {
	echo "$*" >>"$res/error"
	dmesg >"$res/dmesg"
	exit 1
}

# shellcheck source=/dev/null # written by scripts/vm
. "$res/config"

# Where the host starts printing the kernel log from on failure; and, for
# scripts/vm, the mark that the boot is over and the module goes in now.
echo "daedalus-vm: begin" >/dev/kmsg
: >"$res/begun"
# shellcheck disable=SC2086 # module parameters are separate words
insmod "$KO" $MODULE_PARAMS || fail "insmod $KO $MODULE_PARAMS failed"

daedalusd=(bun "$PROJECT/src/cli.ts")
[ -z "$DAEMON_EXE" ] || daedalusd=("$DAEMON_EXE")
dpid=
if [ "$DAEMON" = 1 ]; then
	(cd "$PROJECT" && exec "${daedalusd[@]}" run) >/tmp/daedalusd.log 2>&1 &
	dpid=$!
	c=/sys/class/misc/daedalus-v4l2/connected
	for _ in $(seq 150); do
		[ "$(cat "$c" 2>/dev/null)" != 1 ] || break
		kill -0 "$dpid" 2>/dev/null || break
		sleep 0.1
	done
	if [ "$(cat "$c" 2>/dev/null)" != 1 ]; then
		cp /tmp/daedalusd.log "$res/daemon.log"
		kill -0 "$dpid" 2>/dev/null || fail "the daemon exited before it connected"
		fail "the daemon did not connect within 15 s ($c: $(cat "$c" 2>&1))"
	fi
fi

echo ready >&3
# In the foreground: a background job would start with SIGINT ignored.
# The module's path and parameters: for tests that unload and load it again.
(cd "$PROJECT" && DAEDALUS_VM=1 DAEDALUS_DAEMON=$DAEMON DAEDALUS_KO=$KO DAEDALUS_MODULE_PARAMS=$MODULE_PARAMS \
	DAEDALUS_DAEMON_EXE=$DAEMON_EXE DAEDALUS_TEST_CLIENTS=$TEST_CLIENTS exec sh -c "$CMD")
status=$?

# SIGTERM, then SIGKILL after 10 s: the daemon must stop cleanly on SIGTERM.
stop_daemon() {
	kill -TERM "$1" 2>/dev/null || return 0
	for _ in $(seq 100); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.1
	done
	note "the daemon ignored SIGTERM for 10 s; killing it"
	kill -KILL "$1"
}

if [ -n "$dpid" ]; then
	# Tests may have replaced the daemon started here: stop whichever holds the bridge.
	holder=$(cat /sys/class/misc/daedalus-v4l2/daemon_pid 2>/dev/null || echo 0)
	if [ "$holder" != 0 ] && [ "$holder" != "$dpid" ]; then
		stop_daemon "$holder"
	fi
	stop_daemon "$dpid"
	wait "$dpid" 2>/dev/null || true
	cp /tmp/daedalusd.log "$res/daemon.log"
fi

# What the command left running would keep the device open.
left=
for p in /proc/[0-9]*; do
	pid=${p#/proc/}
	case $pid in 1 | "$$") continue ;; esac
	# Builtins only: forking once per kernel thread costs seconds under TCG.
	args=()
	mapfile -d '' -t args 2>/dev/null <"$p/cmdline" || continue
	[ ${#args[@]} = 0 ] || left+="$pid ${args[*]}"$'\n'
done
if [ -n "$left" ]; then
	note "killing processes the command left behind:"
	printf '%s' "$left" >&2
	kill -KILL -1 2>/dev/null
	sleep 0.2
fi

rmmod daedalus_v4l2
echo $? >"$res/rmmod"

if grep -qw kmemleak=on /proc/cmdline && [ -w /sys/kernel/debug/kmemleak ]; then
	# Only objects older than 5 s are reported; scan twice, as a leak may
	# show only in the second scan.
	sleep 5
	echo scan >/sys/kernel/debug/kmemleak
	echo scan >/sys/kernel/debug/kmemleak
	cat /sys/kernel/debug/kmemleak >"$res/kmemleak"
fi

dmesg >"$res/dmesg"
echo "$status" >"$res/status"

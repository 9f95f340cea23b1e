# shellcheck shell=sh
# The guest half of scripts/demo: runs inside the VM, the daemon connected.
set -eu
clip=$1

section() { printf '\n== %s\n' "$*"; }

video=
for d in /sys/class/video4linux/video*; do
	[ "$(cat "$d/name")" = daedalus-dec ] && video=/dev/${d##*/} && break
done
[ -n "$video" ] || { echo "the decoder node is missing" >&2; exit 1; }

section "V4L2 devices (v4l2-ctl --list-devices)"
v4l2-ctl --list-devices

section "Coded formats the node offers on OUTPUT (from the daemon's HELLO)"
v4l2-ctl -d "$video" --list-formats-out

section "Decoded formats on CAPTURE"
v4l2-ctl -d "$video" --list-formats

section "Frame sizes for H.264"
v4l2-ctl -d "$video" --list-framesizes H264

section "daedalusd status"
bun src/cli.ts status

section "daedalusd probe $clip"
bun src/cli.ts probe "$clip"

section "daedalusd probe --blocks (per-macroblock QP of the first frame)"
bun src/cli.ts probe --blocks "$clip"

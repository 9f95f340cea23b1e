# shellcheck shell=sh
# The guest half of scripts/demo: runs inside the VM, the daemon connected.
set -eu
clip=$1
shift

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

section "Decoding $clip through $video (ffmpeg -c:v h264_v4l2m2m), against plain libavcodec"
# Per-frame MD5 of every decoded frame (ffmpeg's framemd5), both ways.
t0=$(date +%s.%N)
ffmpeg -nostdin -hide_banner -loglevel error -c:v h264_v4l2m2m -i "$clip" \
	-fps_mode passthrough -f framemd5 /tmp/node.md5
t1=$(date +%s.%N)
ffmpeg -nostdin -hide_banner -loglevel error -i "$clip" -fps_mode passthrough -f framemd5 /tmp/lavc.md5
hashes() { grep -v '^#' "$1" | awk -F, '{gsub(/ /, "", $NF); print $NF}'; }
hashes /tmp/node.md5 >/tmp/node.list
hashes /tmp/lavc.md5 >/tmp/lavc.list
frames=$(wc -l </tmp/node.list)
same=$(paste -d' ' /tmp/node.list /tmp/lavc.list | awk '$1 == $2' | wc -l)
echo "frames decoded through the node: $frames"
echo "frames identical to libavcodec's: $same of $(wc -l </tmp/lavc.list)"
awk -v n="$frames" -v a="$t0" -v b="$t1" 'BEGIN { printf "speed through the node: %.1f fps (TCG guest)\n", n / (b - a) }'
head -3 /tmp/node.list | sed 's/^/  first frames: /'

cmp -s /tmp/node.list /tmp/lavc.list || { echo "MISMATCH against libavcodec" >&2; exit 1; }

section "daedalusd decode $clip (a V4L2 client of the node; first and last lines)"
bun src/cli.ts decode "$clip" >/tmp/decode.txt
head -8 /tmp/decode.txt
echo "  ..."
tail -1 /tmp/decode.txt

section "daedalusd decode of H.264, HEVC 10-bit, VP9 and AV1 clips, against plain libavcodec"
bun scripts/lib/demo-decode.ts "$DAEDALUS_VM_RESULTS" "$clip" "$@"

# The stateless node beside it, through GStreamer's v4l2codecs.
bun scripts/lib/demo-stateless.ts

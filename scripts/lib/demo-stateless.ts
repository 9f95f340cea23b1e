// SPDX-License-Identifier: BSD-2-Clause
// The guest half of scripts/demo's stateless part: the stateless node and
// the GStreamer elements that found it are shown; the demo's clips (all
// but AV1; 10-bit HEVC as P010) are decoded with those elements
// (v4l2codecs: the client parses the stream and hands the node one request
// of controls and slice data per picture), and each frame compared with
// plain libavcodec's. Exits 1 if any frame differs.
//
//   bun scripts/lib/demo-stateless.ts
import { basename } from "node:path";
import { findNodes } from "../../src/status/read";
import { UAPI } from "../../src/protocol/uapi";
import { demoClips } from "./demo-clips";
import { ffmpegFrameMd5s, run } from "./guest";
import { ffmpegPixFmtFor, gstRawFrameMd5s } from "./gst";

const REGISTRY = "/tmp/gst-registry-demo.bin";
const section = (title: string) => console.log(`\n== ${title}`);

const sl = findNodes(undefined, UAPI.SL_CARD_NAME);
if (!sl.video || !sl.media) throw new Error("the stateless node is missing (module parameter stateless=0?)");
let mismatches = 0;
section(`The stateless node ${sl.video} and its media device ${sl.media}`);
console.log(run(["v4l2-ctl", "-d", sl.video, "--list-formats-out"]).out.trim());
console.log(run(["media-ctl", "-d", sl.media, "--print-topology"]).out.trim());

section("GStreamer's stateless decoders for it (gst-inspect-1.0 v4l2codecs)");
const inspect = run(["gst-inspect-1.0", "v4l2codecs"], { env: { GST_REGISTRY: REGISTRY } }).out;
console.log([...inspect.matchAll(/^\s+(v4l2sl\w+dec): (.*)$/gm)].map((m) => `  ${m[1]}: ${m[2]}`).join("\n"));

section("Decoding with GStreamer's v4l2sl*dec through the stateless node, against plain libavcodec");
const rows = [["clip", "element", "frames", "identical to libavcodec", "fps (TCG guest)"]];
const elements = new Set<string | undefined>([...inspect.matchAll(/^\s+(v4l2sl\w+dec):/gm)].map((m) => m[1]));
// AV1 is not decoded there yet; HEVC not on a Raspberry Pi 5 by default (rpi-hevc-dec's).
for (const clip of demoClips().filter((c) => elements.has(`v4l2sl${c.codec === "hevc" ? "h265" : c.codec}dec`))) {
  const t0 = Bun.nanoseconds();
  const got = gstRawFrameMd5s(clip, { registry: REGISTRY });
  const seconds = (Bun.nanoseconds() - t0) / 1e9;
  const want = ffmpegFrameMd5s(["-i", clip.path, "-pix_fmt", ffmpegPixFmtFor(clip)]);
  const same = got.filter((m, i) => m === want[i]).length;
  if (same !== want.length || got.length !== want.length) mismatches++;
  rows.push([basename(clip.path), `v4l2sl${clip.codec === "hevc" ? "h265" : clip.codec}dec`, String(got.length), `${same} of ${want.length}`,
    (got.length / seconds).toFixed(1)]);
}
const widths = rows[0]?.map((_, c) => Math.max(...rows.map((row) => row[c]?.length ?? 0))) ?? [];
for (const row of rows) console.log(row.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join("  "));
if (mismatches) {
  console.error(`MISMATCH against libavcodec in ${mismatches} clip(s)`);
  process.exit(1);
}

// SPDX-License-Identifier: BSD-2-Clause
// The guest half of scripts/demo's stateless part: the module is loaded
// again with its stateless node (stateless=1) and the daemon restarted;
// the node and the GStreamer elements that found it are shown; the demo's
// 8-bit clips are decoded with those elements (v4l2codecs: the client
// parses the stream and hands the node one request of controls and slice
// data per picture), and each frame compared with plain libavcodec's. The
// module is loaded as before afterwards. Exits 1 if any frame differs.
//
//   bun scripts/lib/demo-stateless.ts
import { basename } from "node:path";
import { findNodes } from "../../src/status/read";
import { UAPI } from "../../src/protocol/uapi";
import { demoClips } from "./demo-clips";
import { ffmpegFrameMd5s, reloadModule, run, startDaemon, stopDaemon, waitFor } from "./guest";
import { gstNv12FrameMd5s } from "./gst";

const REGISTRY = "/tmp/gst-registry-demo.bin";
const section = (title: string) => console.log(`\n== ${title}`);

await stopDaemon();
reloadModule(["stateless=1"]);
await waitFor("the stateless node", () => findNodes(undefined, UAPI.SL_CARD_NAME).media !== null);
await startDaemon();
let mismatches = 0;
try {
  const sl = findNodes(undefined, UAPI.SL_CARD_NAME);
  section(`The stateless node ${sl.video} and its media device ${sl.media}`);
  console.log(run(["v4l2-ctl", "-d", sl.video ?? "", "--list-formats-out"]).out.trim());
  console.log(run(["media-ctl", "-d", sl.media ?? "", "--print-topology"]).out.trim());

  section("GStreamer's stateless decoders for it (gst-inspect-1.0 v4l2codecs)");
  const inspect = run(["gst-inspect-1.0", "v4l2codecs"], { env: { GST_REGISTRY: REGISTRY } }).out;
  console.log([...inspect.matchAll(/^\s+(v4l2sl\w+dec): (.*)$/gm)].map((m) => `  ${m[1]}: ${m[2]}`).join("\n"));

  section("Decoding with GStreamer's v4l2sl*dec through the stateless node, against plain libavcodec");
  const rows = [["clip", "element", "frames", "identical to libavcodec", "fps (TCG guest)"]];
  for (const clip of demoClips().filter((c) => c.bitDepth === 8 && (c.codec === "h264" || c.codec === "vp9"))) {
    const t0 = Bun.nanoseconds();
    const got = gstNv12FrameMd5s(clip, { registry: REGISTRY });
    const seconds = (Bun.nanoseconds() - t0) / 1e9;
    const want = ffmpegFrameMd5s(["-i", clip.path, "-pix_fmt", "nv12"]);
    const same = got.filter((m, i) => m === want[i]).length;
    if (same !== want.length || got.length !== want.length) mismatches++;
    rows.push([basename(clip.path), `v4l2sl${clip.codec}dec`, String(got.length), `${same} of ${want.length}`,
      (got.length / seconds).toFixed(1)]);
  }
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((row) => row[c]?.length ?? 0))) ?? [];
  for (const row of rows) console.log(row.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join("  "));
} finally {
  await stopDaemon();
  reloadModule();
  await startDaemon();
}
if (mismatches) {
  console.error(`MISMATCH against libavcodec in ${mismatches} clip(s)`);
  process.exit(1);
}

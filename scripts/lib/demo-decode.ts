// SPDX-License-Identifier: BSD-2-Clause
// The guest half of scripts/demo's decoding: each clip goes through the node
// with `daedalusd decode`, and its per-frame MD5s are compared with plain
// libavcodec's (ffmpeg -f framemd5 in the pixel format the node delivered).
// Prints one row per clip, writes frame 30 of the first clip as a PNG, and
// exits 1 if any frame differs.
//
//   bun scripts/lib/demo-decode.ts OUTDIR CLIP...
import { basename, join } from "node:path";
import { ffmpegFrameMd5s } from "./guest";

const [outDir, ...clips] = process.argv.slice(2);
if (!outDir || !clips.length) throw new Error("usage: demo-decode.ts OUTDIR CLIP...");
const root = join(import.meta.dir, "..", "..");

interface DecodeJson {
  stream: { codecName: string; width: number; height: number; bitDepth: number };
  formats: { pixelformat: string }[];
  ffmpeg_pix_fmt: string;
  count: number;
  fps: number;
  frames: { md5: string | null }[];
}

function sh(cmd: string[]): string {
  const p = Bun.spawnSync(cmd, { stdout: "pipe", stderr: "pipe" });
  if (!p.success) throw new Error(`${cmd.join(" ")} failed: ${p.stderr}`);
  return p.stdout.toString();
}

const rows = [["clip", "stream", "frames as", "frames", "identical to libavcodec", "fps (TCG guest)"]];
let mismatches = 0;
for (const [i, clip] of clips.entries()) {
  const raw = `/tmp/demo-${i}.yuv`;
  const r = JSON.parse(sh(["bun", join(root, "src/cli.ts"), "decode", "--json", "--output", raw, clip])) as DecodeJson;
  const reference = ffmpegFrameMd5s(["-i", clip, "-pix_fmt", r.ffmpeg_pix_fmt]);
  const same = r.frames.filter((f, n) => f.md5 !== null && f.md5 === reference[n]).length;
  if (same !== reference.length || r.count !== reference.length) mismatches++;
  const s = r.stream;
  rows.push([
    basename(clip),
    `${s.codecName} ${s.width}x${s.height} ${s.bitDepth}-bit`,
    r.formats.map((f) => f.pixelformat).join(","),
    String(r.count),
    `${same} of ${reference.length}`,
    r.fps.toFixed(1),
  ]);
  if (i === 0) {
    // The node's own bytes (not a re-decode) turned into a PNG.
    sh([
      "ffmpeg", "-nostdin", "-v", "error", "-f", "rawvideo", "-pix_fmt", r.ffmpeg_pix_fmt,
      "-video_size", `${s.width}x${s.height}`, "-i", raw,
      "-vf", "select=eq(n\\,30)", "-frames:v", "1", "-y", join(outDir, "frame.png"),
    ]);
  }
}
const widths = rows[0]?.map((_, c) => Math.max(...rows.map((row) => row[c]?.length ?? 0))) ?? [];
for (const row of rows) console.log(row.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join("  "));
console.log(`frame 30 of ${basename(clips[0] ?? "")}, as the node delivered it: build/demo/results/frame.png`);
if (mismatches) {
  console.error(`MISMATCH against libavcodec in ${mismatches} clip(s)`);
  process.exit(1);
}

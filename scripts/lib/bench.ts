// SPDX-License-Identifier: BSD-2-Clause
// scripts/bench's two halves. `prepare` (host) makes the clips; `run`
// (guest, daemon connected) decodes each clip through the node with
// ffmpeg's *_v4l2m2m and with plain libavcodec, same thread count, same
// guest, and reports frames per second and their ratio. Results go to
// stdout as a table and to $DAEDALUS_VM_RESULTS/bench.json.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Clip, makeClip } from "../../test/helpers/clips";
import { startDaemon, stopDaemon } from "../../test/device/helpers";

const THREADS = Number(process.env.DAEDALUS_BENCH_THREADS ?? 2);
const FRAMES = Number(process.env.DAEDALUS_BENCH_FRAMES ?? 120);

function clips(): { name: string; clip: Clip; decoder: string }[] {
  return [
    { name: "h264 1920x1080", clip: makeClip({ codec: "h264", width: 1920, height: 1080, frames: FRAMES, fps: 30 }), decoder: "h264_v4l2m2m" },
    { name: "vp9 1920x1080", clip: makeClip({ codec: "vp9", width: 1920, height: 1080, frames: FRAMES, fps: 30 }), decoder: "vp9_v4l2m2m" },
    // Small frames: decoding is cheap, so this measures the round trip through the bridge.
    { name: "h264 320x180", clip: makeClip({ codec: "h264", width: 320, height: 180, frames: 600, fps: 30 }), decoder: "h264_v4l2m2m" },
  ];
}

/** Frames per second of one ffmpeg decode to the null muxer. */
function fps(clip: Clip, decoder?: string): number {
  const args = [
    "ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-threads", String(THREADS),
    ...(decoder ? ["-c:v", decoder] : []), "-i", clip.path, "-f", "null", "-",
  ];
  const t0 = Bun.nanoseconds();
  const r = Bun.spawnSync(args, { stdout: "ignore", stderr: "pipe" });
  const s = (Bun.nanoseconds() - t0) / 1e9;
  if (!r.success) throw new Error(`${args.join(" ")} failed: ${r.stderr}`);
  return clip.frames / s;
}

async function run(): Promise<void> {
  // The daemon decodes with the thread count plain libavcodec gets.
  const config = "/tmp/daedalusd-bench.json";
  writeFileSync(config, JSON.stringify({ decoder: { threads: THREADS } }));
  await stopDaemon();
  await startDaemon(["--config", config]);

  const kernel = Bun.spawnSync(["uname", "-r"]).stdout.toString().trim();
  const rows = clips().map(({ name, clip, decoder }) => {
    fps(clip, decoder); // warm-up: page cache, first module and library use
    // Best of two each, interleaved, so a slow moment of the host hits both alike.
    const node = Math.max(fps(clip, decoder), fps(clip, decoder));
    const plain = Math.max(fps(clip), fps(clip));
    return { clip: name, frames: clip.frames, threads: THREADS, node_fps: node, libavcodec_fps: plain, ratio: node / plain };
  });
  console.log(`bench on ${kernel} (TCG guest, ${THREADS} decoding threads)`);
  console.log("clip              frames  node fps  libavcodec fps  ratio");
  for (const r of rows) {
    console.log(
      `${r.clip.padEnd(16)}  ${String(r.frames).padStart(6)}  ${r.node_fps.toFixed(1).padStart(8)}  ` +
        `${r.libavcodec_fps.toFixed(1).padStart(14)}  ${r.ratio.toFixed(2).padStart(5)}`,
    );
  }
  const out = process.env.DAEDALUS_VM_RESULTS;
  if (out) writeFileSync(join(out, "bench.json"), `${JSON.stringify({ kernel, rows }, null, 2)}\n`);
}

const mode = process.argv[2];
if (mode === "prepare") {
  clips();
} else if (mode === "run") {
  await run();
} else {
  console.error("usage: bun scripts/lib/bench.ts prepare|run");
  process.exit(2);
}

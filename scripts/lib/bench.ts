// SPDX-License-Identifier: BSD-2-Clause
// scripts/bench's two halves. `prepare` (host) makes the clips; `run`
// (guest, daemon connected) decodes each clip through the node with
// ffmpeg's *_v4l2m2m and with plain libavcodec, same thread count, same
// guest, and reports frames per second, CPU time per frame and their
// ratios, then how two contexts scale against one, then the 1080p clips
// through the stateless node with GStreamer's v4l2codecs against libav's
// decoder in the same pipeline. Results go to stdout as a table and to
// $DAEDALUS_VM_RESULTS/bench.json.
//
// The host is a shared machine whose speed drifts by a quarter from one
// run to the next, so one timing of each side says little. Each round runs
// the node and plain libavcodec back to back and yields one ratio; the
// median over the rounds is the figure reported, with the spread beside it.
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { findNodes } from "../../src/status/read";
import { UAPI } from "../../src/protocol/uapi";
import { type Clip, makeClip } from "./clips";
import { startDaemon, stopDaemon } from "./guest";
import { gstDecodeSeconds } from "./gst";

const THREADS = Number(process.env.DAEDALUS_BENCH_THREADS ?? 2);
const FRAMES = Number(process.env.DAEDALUS_BENCH_FRAMES ?? 120);
const ROUNDS = Number(process.env.DAEDALUS_BENCH_ROUNDS ?? 5);
const TICKS_PER_S = 100; // USER_HZ, the unit of /proc/<pid>/stat's times

function clips(): { name: string; clip: Clip; decoder: string }[] {
  return [
    { name: "h264 1920x1080", clip: makeClip({ codec: "h264", width: 1920, height: 1080, frames: FRAMES, fps: 30 }), decoder: "h264_v4l2m2m" },
    { name: "vp9 1920x1080", clip: makeClip({ codec: "vp9", width: 1920, height: 1080, frames: FRAMES, fps: 30 }), decoder: "vp9_v4l2m2m" },
    // Small frames: decoding is cheap, so this measures the round trip through the bridge.
    { name: "h264 320x180", clip: makeClip({ codec: "h264", width: 320, height: 180, frames: 600, fps: 30 }), decoder: "h264_v4l2m2m" },
  ];
}

/** CPU seconds, in user space and in the kernel. */
interface Cpu {
  user: number;
  system: number;
}

/** CPU seconds the daemon has used so far. */
function daemonCpu(): Cpu {
  const pid = readFileSync("/sys/class/misc/daedalus-v4l2/daemon_pid", "utf8").trim();
  // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return { user: Number(fields[11]) / TICKS_PER_S, system: Number(fields[12]) / TICKS_PER_S };
}

interface Timing {
  seconds: number;
  /** CPU seconds of ffmpeg plus, through the node, the daemon's. */
  cpu: number;
  /** Where that CPU went: ffmpeg's and the daemon's, each in user space and in the kernel. */
  ffmpeg: Cpu;
  daemon: Cpu;
}

function ffmpegArgs(clip: Clip, decoder?: string): string[] {
  return [
    "ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-threads", String(THREADS),
    ...(decoder ? ["-c:v", decoder] : []), "-i", clip.path, "-f", "null", "-",
  ];
}

/** One ffmpeg decode of the clip to the null muxer. */
function time(clip: Clip, decoder?: string): Timing {
  const args = ffmpegArgs(clip, decoder);
  const none = { user: 0, system: 0 };
  const daemon0 = decoder ? daemonCpu() : none;
  const t0 = Bun.nanoseconds();
  const r = Bun.spawnSync(args, { stdout: "ignore", stderr: "pipe" });
  const seconds = (Bun.nanoseconds() - t0) / 1e9;
  if (!r.success) throw new Error(`${args.join(" ")} failed: ${r.stderr}`);
  const daemon1 = decoder ? daemonCpu() : none;
  const daemon = { user: daemon1.user - daemon0.user, system: daemon1.system - daemon0.system };
  const usage = r.resourceUsage.cpuTime;
  const ffmpeg = { user: Number(usage.user) / 1e6, system: Number(usage.system) / 1e6 };
  return { seconds, cpu: ffmpeg.user + ffmpeg.system + daemon.user + daemon.system, ffmpeg, daemon };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  const at = (i: number) => s[i] ?? Number.NaN;
  return s.length % 2 ? at(m) : (at(m - 1) + at(m)) / 2;
}

/** Restarts the daemon decoding with @threads threads per context. */
async function daemonWithThreads(threads: number): Promise<void> {
  const config = "/tmp/daedalusd-bench.json";
  writeFileSync(config, JSON.stringify({ decoder: { threads } }));
  await stopDaemon();
  await startDaemon(["--config", config]);
}

/** Seconds until @n concurrent decodes of @clip through the node have all finished. */
async function timeConcurrent(clip: Clip, decoder: string, n: number): Promise<number> {
  const t0 = Bun.nanoseconds();
  const children = Array.from({ length: n }, () => Bun.spawn(ffmpegArgs(clip, decoder), { stdout: "ignore", stderr: "pipe" }));
  for (const c of children) {
    if ((await c.exited) !== 0) throw new Error(`${decoder} failed: ${await new Response(c.stderr).text()}`);
  }
  return (Bun.nanoseconds() - t0) / 1e9;
}

/**
 * Throughput of two contexts against one, each decoding with one thread:
 * on the guest's two CPUs, two contexts should decode close to twice the
 * frames per second of one (the issue asks for at least 1.6 times).
 */
async function contextScaling(clip: Clip, decoder: string) {
  await daemonWithThreads(1);
  await timeConcurrent(clip, decoder, 1); // warm-up
  const ratios: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const one = clip.frames / (await timeConcurrent(clip, decoder, 1));
    const two = (2 * clip.frames) / (await timeConcurrent(clip, decoder, 2));
    ratios.push(two / one);
  }
  return { clip: clip.path, decoder_threads: 1, rounds: ROUNDS, ratio: median(ratios), ratio_min: Math.min(...ratios), ratio_max: Math.max(...ratios) };
}

/**
 * The 1080p clips through the stateless node: GStreamer's v4l2codecs
 * element against libav's decoder in the same pipeline, @THREADS threads on
 * both sides (the daemon's from its config), paired rounds as above.
 */
async function statelessRows() {
  const registry = "/tmp/gst-registry-bench.bin";
  if (!findNodes(undefined, UAPI.SL_CARD_NAME).media) throw new Error("no stateless node (module parameter stateless=0?)");
  await daemonWithThreads(THREADS);
  rmSync(registry, { force: true });
  return clips()
    .filter(({ clip }) => clip.width === 1920)
    .map(({ name, clip }) => {
      gstDecodeSeconds(clip, "v4l2sl", THREADS, registry); // warm-up, and the registry scan
      const rounds = Array.from({ length: ROUNDS }, () => ({
        node: gstDecodeSeconds(clip, "v4l2sl", THREADS, registry),
        plain: gstDecodeSeconds(clip, "av", THREADS, registry),
      }));
      const ratios = rounds.map((r) => r.plain / r.node);
      return {
        clip: name,
        frames: clip.frames,
        threads: THREADS,
        rounds: ROUNDS,
        node_fps: median(rounds.map((r) => clip.frames / r.node)),
        libav_fps: median(rounds.map((r) => clip.frames / r.plain)),
        ratio: median(ratios),
        ratio_min: Math.min(...ratios),
        ratio_max: Math.max(...ratios),
      };
    });
}

async function run(): Promise<void> {
  // The daemon decodes with the thread count plain libavcodec gets.
  await daemonWithThreads(THREADS);

  const kernel = Bun.spawnSync(["uname", "-r"]).stdout.toString().trim();
  const rows = clips().map(({ name, clip, decoder }) => {
    time(clip, decoder); // warm-up: page cache, first module and library use
    const rounds = Array.from({ length: ROUNDS }, () => ({ node: time(clip, decoder), plain: time(clip) }));
    const ratios = rounds.map((r) => r.plain.seconds / r.node.seconds);
    const msPerFrame = (seconds: number) => (seconds / clip.frames) * 1000;
    const perFrameMs = (t: Timing) => msPerFrame(t.cpu);
    return {
      clip: name,
      frames: clip.frames,
      threads: THREADS,
      rounds: ROUNDS,
      node_fps: median(rounds.map((r) => clip.frames / r.node.seconds)),
      libavcodec_fps: median(rounds.map((r) => clip.frames / r.plain.seconds)),
      ratio: median(ratios),
      ratio_min: Math.min(...ratios),
      ratio_max: Math.max(...ratios),
      node_cpu_ms_per_frame: median(rounds.map((r) => perFrameMs(r.node))),
      libavcodec_cpu_ms_per_frame: median(rounds.map((r) => perFrameMs(r.plain))),
      // The node's CPU by where it went, for a profile of the per-frame trip.
      node_cpu_split_ms_per_frame: {
        ffmpeg_user: median(rounds.map((r) => msPerFrame(r.node.ffmpeg.user))),
        ffmpeg_system: median(rounds.map((r) => msPerFrame(r.node.ffmpeg.system))),
        daemon_user: median(rounds.map((r) => msPerFrame(r.node.daemon.user))),
        daemon_system: median(rounds.map((r) => msPerFrame(r.node.daemon.system))),
      },
      libavcodec_cpu_split_ms_per_frame: {
        user: median(rounds.map((r) => msPerFrame(r.plain.ffmpeg.user))),
        system: median(rounds.map((r) => msPerFrame(r.plain.ffmpeg.system))),
      },
    };
  });
  console.log(`bench on ${kernel} (TCG guest, ${THREADS} decoding threads, median of ${ROUNDS} paired rounds)`);
  console.log("clip              frames  node fps  libavcodec fps  ratio (min-max)    CPU ms/frame node / libavcodec");
  for (const r of rows) {
    console.log(
      `${r.clip.padEnd(16)}  ${String(r.frames).padStart(6)}  ${r.node_fps.toFixed(1).padStart(8)}  ` +
        `${r.libavcodec_fps.toFixed(1).padStart(14)}  ${r.ratio.toFixed(2)} (${r.ratio_min.toFixed(2)}-${r.ratio_max.toFixed(2)})` +
        `   ${r.node_cpu_ms_per_frame.toFixed(1).padStart(6)} / ${r.libavcodec_cpu_ms_per_frame.toFixed(1)}`,
    );
  }
  console.log("node CPU ms/frame by where it went (ffmpeg user + system, daemon user + system; libavcodec user + system)");
  for (const r of rows) {
    const n = r.node_cpu_split_ms_per_frame;
    const p = r.libavcodec_cpu_split_ms_per_frame;
    const f = (x: number) => x.toFixed(2);
    console.log(
      `${r.clip.padEnd(16)}  ffmpeg ${f(n.ffmpeg_user)} + ${f(n.ffmpeg_system)}, daemon ${f(n.daemon_user)} + ${f(n.daemon_system)}; ` +
        `libavcodec ${f(p.user)} + ${f(p.system)}`,
    );
  }
  const first = clips()[0];
  if (!first) throw new Error("no benchmark clip");
  const scaling = await contextScaling(first.clip, first.decoder);
  console.log(
    `2 contexts against 1 (${first.name}, 1 decoding thread each): ${scaling.ratio.toFixed(2)}x ` +
      `(${scaling.ratio_min.toFixed(2)}-${scaling.ratio_max.toFixed(2)}) the frames per second`,
  );
  const stateless = await statelessRows();
  console.log(`the stateless node: GStreamer's v4l2codecs against avdec_* (${THREADS} threads), median of ${ROUNDS} paired rounds`);
  console.log("clip              frames  node fps  avdec fps  ratio (min-max)");
  for (const r of stateless) {
    console.log(
      `${r.clip.padEnd(16)}  ${String(r.frames).padStart(6)}  ${r.node_fps.toFixed(1).padStart(8)}  ` +
        `${r.libav_fps.toFixed(1).padStart(9)}  ${r.ratio.toFixed(2)} (${r.ratio_min.toFixed(2)}-${r.ratio_max.toFixed(2)})`,
    );
  }
  const out = process.env.DAEDALUS_VM_RESULTS;
  if (out) writeFileSync(join(out, "bench.json"), `${JSON.stringify({ kernel, rows, scaling, stateless }, null, 2)}\n`);
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

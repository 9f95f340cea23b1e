// SPDX-License-Identifier: BSD-2-Clause
// The soak (issue 15, point 6): eight clients at once for
// DAEDALUS_SOAK_SECONDS, each picking its next run from a seeded mix:
// - a decode by FFmpeg's *_v4l2m2m of a clip of each codec it wraps
//   (H.264, HEVC, VP8, VP9, MPEG-2), or by `daedalusd decode` of AV1 and
//   10-bit HEVC and VP9 (FFmpeg 5.1's wrapper takes neither), compared
//   frame for frame with plain libavcodec;
// - a stream that changes size twice, through FFmpeg, compared the same;
// - a seek (m2m-seq: STREAMOFF of both queues mid-stream, then the stream
//   from a later IDR), the frames after it compared;
// - a STREAMOFF/STREAMON storm on CAPTURE;
// - a client killed (SIGKILL) mid-stream;
// and beside them the daemon is killed and started again, once every five
// minutes (once in a short soak). Each client's first run is of another
// kind, so that a short soak has every kind too.
// A run the daemon's death cut short must end (EIO, not a hang) but is not
// compared; every other one must be bit-exact. It reports the contexts
// served, frames compared, kills survived, and memory and slab before and
// after; afterwards no context and no buffer memory is left, and
// scripts/vm fails the run on any kernel report (KASAN, lockdep and
// kmemleak on the debug kernel, where `scripts/test --full` runs it for 30
// minutes; CI runs it on 6.12 for 60 s). Without DAEDALUS_SOAK_SECONDS it
// is skipped.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Clip } from "../../scripts/lib/clips";
import {
  av1Clip,
  decodeClips,
  FFMPEG_CODECS,
  resolutionChangeClips,
  robustnessClips,
  seekClip,
  tenBitClips,
} from "../helpers/decode-clips";
import {
  bridgeDebugfs,
  connected,
  daedalusd,
  DecodeResult,
  ffmpegFrameMd5s,
  inVm,
  kib,
  liveContexts,
  nodes,
  seededRandom,
  spawnFfmpegFrameMd5s,
  startDaemon,
  stopDaemon,
  visibleCrop,
  waitFor,
} from "./helpers";
import { INIT, picture, reference as seekReference, spawnSeq } from "./m2m-seq";
import * as v from "valibot";

const SECONDS = Number(process.env.DAEDALUS_SOAK_SECONDS ?? 0);
const CLIENTS = 8;
/** A run that takes longer than this hung. */
const RUN_LIMIT_MS = 300_000;
/**
 * How long a daemon may take to go and to come back: under KASAN, with
 * eight clients decoding on two emulated CPUs, starting Bun takes a minute.
 */
const DAEMON_MS = 180_000;
/** Kernel slab that may stay after the soak (caches grown by eight clients at once). */
const SLAB_GROWTH_LIMIT = 32 * 1024 * 1024;

const meminfo = (key: string) => kib("/proc/meminfo", key);

const mib = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MiB`;

/** How a run ended; "shed": a storm past its context's share of the daemon's queue, failed alone (EIO). */
type Outcome =
  | { kind: "compared"; frames: number }
  | { kind: "cut" }
  | { kind: "killed" }
  | { kind: "shed" }
  | { kind: "wrong"; why: string };

/** Races @p against RUN_LIMIT_MS; @kill ends the run's process if it hung. */
async function limited<T>(p: Promise<T>, kill: () => void): Promise<T | "hung"> {
  let timer: Timer | undefined;
  const hung = new Promise<"hung">((resolve) => {
    timer = setTimeout(() => resolve("hung"), RUN_LIMIT_MS);
  });
  const r = await Promise.race([p, hung]);
  clearTimeout(timer);
  if (r === "hung") kill();
  return r;
}

describe.skipIf(!inVm || !SECONDS)("soak: eight clients, every codec, seeks, changes, storms and kills", () => {
  const rnd = seededRandom(0x50a4);
  const ffmpegClips = inVm ? decodeClips().filter((c) => c.width <= 854 && FFMPEG_CODECS.includes(c.codec)) : [];
  const ownClips = inVm ? [av1Clip(), ...tenBitClips()] : [];
  const changeClips = inVm ? resolutionChangeClips().map((c) => c.clip) : [];
  const seek = inVm ? seekClip() : undefined;
  const long = inVm ? robustnessClips().long : undefined;
  /** libavcodec's frames of each clip, as each client compares them. */
  const refs = new Map<string, string[]>();
  let seekRef: ReturnType<typeof seekReference> = [];
  /** Bumped at each daemon kill: a run that saw it change was cut short. */
  let epoch = 0;
  /** The daemon is being killed or started: clients wait. */
  let down = false;
  let stopAt = 0;
  const tally = { runs: 0, compared: 0, frames: 0, cut: 0, shed: 0, clientKills: 0, daemonKills: 0 };
  const wrong: string[] = [];

  beforeAll(async () => {
    if (!connected()) await startDaemon([], undefined, DAEMON_MS);
    for (const c of ffmpegClips) refs.set(`ffmpeg ${c.path}`, ffmpegFrameMd5s(["-i", c.path]));
    for (const c of changeClips) refs.set(`ffmpeg ${c.path}`, ffmpegFrameMd5s(["-i", c.path, ...visibleCrop()]));
    for (const c of ownClips) {
      refs.set(`own ${c.path}`, ffmpegFrameMd5s(["-i", c.path, "-pix_fmt", c.bitDepth > 8 ? "p010le" : "nv12"]));
    }
    if (seek) seekRef = seekReference(seek);
  }, 600_000);

  afterAll(async () => {
    if (!connected()) await startDaemon([], undefined, DAEMON_MS);
  }, DAEMON_MS);

  /** FFmpeg's wrapper on @clip (with @extra filter arguments). */
  async function ffmpegRun(clip: Clip, extra: string[]): Promise<Outcome> {
    const { proc, done } = spawnFfmpegFrameMd5s(["-c:v", `${clip.codec}_v4l2m2m`, "-i", clip.path, ...extra]);
    const r = await limited(done, () => proc.kill("SIGKILL"));
    if (r === "hung") return { kind: "wrong", why: `ffmpeg ${clip.path} hung` };
    const want = refs.get(`ffmpeg ${clip.path}`) ?? [];
    if (r.code === 0 && JSON.stringify(r.md5s) === JSON.stringify(want)) return { kind: "compared", frames: want.length };
    return { kind: "wrong", why: `ffmpeg ${clip.path}: exit ${r.code}, ${r.md5s.length} of ${want.length} frames: ${r.err.slice(-300)}` };
  }

  /** `daedalusd decode` on @clip. */
  async function ownRun(clip: Clip): Promise<Outcome> {
    const proc = Bun.spawn(daedalusd("decode", "--json", clip.path), { stdout: "pipe", stderr: "pipe" });
    const text = Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    const r = await limited(text, () => proc.kill("SIGKILL"));
    if (r === "hung") return { kind: "wrong", why: `daedalusd decode ${clip.path} hung` };
    const [out, err, code] = r;
    const want = refs.get(`own ${clip.path}`) ?? [];
    if (code !== 0) return { kind: "wrong", why: `daedalusd decode ${clip.path}: exit ${code}: ${err.slice(-300)}` };
    const got = v.parse(DecodeResult, JSON.parse(out)).frames.map((f) => f.md5);
    if (JSON.stringify(got) === JSON.stringify(want)) return { kind: "compared", frames: want.length };
    return { kind: "wrong", why: `daedalusd decode ${clip.path}: frames differ from libavcodec's` };
  }

  /** A seek in the middle of the stream; the frames after it are compared. */
  async function seekRun(clip: Clip): Promise<Outcome> {
    const steps = [
      ...INIT, "feed:0:20", "frames:5", "streamoff-out", "streamoff-cap", "streamon-cap", "streamon-out",
      "feed:20:40", "stop", "last",
    ];
    try {
      const t = await spawnSeq(clip, steps);
      const after = picture(t.from("streamoff-out").frames());
      const want = seekRef.filter((f) => f.au >= 20);
      if (JSON.stringify(after) === JSON.stringify(want)) return { kind: "compared", frames: want.length };
      return { kind: "wrong", why: `seek: ${after.length} frames after it, ${want.length} wanted, or they differ` };
    } catch (e) {
      return { kind: "wrong", why: `seek: ${String(e).slice(0, 400)}` };
    }
  }

  /**
   * A STREAMOFF/STREAMON storm on CAPTURE: each call succeeds, or, once the
   * storm's STOPs outrun a daemon busy with seven others past its context's
   * share of the queue, that context alone fails (EIO) and the others go on
   * (fair-share.test.ts).
   */
  async function stormRun(clip: Clip): Promise<Outcome> {
    try {
      const t = await spawnSeq(clip, [...INIT, "reqbufs-cap:4", "streamon-cap", "storm:500"]);
      const line = t.lineStarting("storm ")[0] ?? "";
      if (/^storm 500 failed 0 /.test(line)) return { kind: "compared", frames: 0 };
      if (/^storm 500 failed \d+ first EIO$/.test(line)) return { kind: "shed" };
      return { kind: "wrong", why: `storm: ${line}` };
    } catch (e) {
      return { kind: "wrong", why: `storm: ${String(e).slice(0, 400)}` };
    }
  }

  /** A client SIGKILLed after a random moment of its decode. */
  async function killRun(clip: Clip): Promise<Outcome> {
    const { proc, done } = spawnFfmpegFrameMd5s(["-c:v", "h264_v4l2m2m", "-i", clip.path]);
    await Bun.sleep(300 + rnd.below(3000));
    proc.kill("SIGKILL");
    const r = await limited(done, () => proc.kill("SIGKILL"));
    if (r === "hung") return { kind: "wrong", why: "a killed client did not exit" };
    return { kind: "killed" };
  }

  /** The kinds of run, each with its share of the mix (out of 100). */
  const KINDS: { share: number; run: () => Promise<Outcome> }[] = [
    { share: 40, run: () => ffmpegRun(rnd.pick(ffmpegClips), []) },
    { share: 15, run: () => ownRun(rnd.pick(ownClips)) },
    { share: 10, run: () => ffmpegRun(rnd.pick(changeClips), visibleCrop()) },
    { share: 15, run: () => (seek ? seekRun(seek) : Promise.resolve({ kind: "cut" })) },
    { share: 10, run: () => (seek ? stormRun(seek) : Promise.resolve({ kind: "cut" })) },
    { share: 10, run: () => (long ? killRun(long) : Promise.resolve({ kind: "cut" })) },
  ];

  /** Client @n's @nth run: of kind n at first, then as the mix picks. */
  function oneRun(n: number, nth: number): Promise<Outcome> {
    const first = KINDS[n % KINDS.length];
    if (nth === 0 && first) return first.run();
    let roll = rnd.below(100);
    for (const k of KINDS) {
      if (roll < k.share) return k.run();
      roll -= k.share;
    }
    return Promise.resolve({ kind: "cut" });
  }

  async function client(n: number): Promise<void> {
    for (let nth = 0; Date.now() < stopAt; ) {
      if (down) {
        await Bun.sleep(200);
        continue;
      }
      const seen = epoch;
      let outcome: Outcome;
      try {
        outcome = await oneRun(n, nth++);
      } catch (e) {
        outcome = { kind: "wrong", why: `a run threw: ${String(e).slice(0, 400)}` };
      }
      tally.runs++;
      if (outcome.kind === "killed") {
        tally.clientKills++;
      } else if (outcome.kind === "shed") {
        tally.shed++;
      } else if (epoch !== seen || down) {
        // The daemon died during the run: it had to end, and it did.
        tally.cut++;
      } else if (outcome.kind === "compared") {
        tally.compared++;
        tally.frames += outcome.frames;
      } else if (outcome.kind === "wrong") {
        wrong.push(outcome.why);
      }
    }
  }

  /**
   * The daemon killed once every five minutes (once at least), each time in
   * the middle of its stretch, then started again; if it cannot be, the
   * soak ends there and says so.
   */
  async function daemonKiller(start: number): Promise<void> {
    const kills = Math.max(1, Math.round(SECONDS / 300));
    for (let k = 0; k < kills; k++) {
      await Bun.sleep(Math.max(0, start + (SECONDS * 1000 * (k + 0.5)) / kills - Date.now()));
      if (Date.now() >= stopAt) return;
      down = true;
      epoch++;
      try {
        await stopDaemon("SIGKILL", DAEMON_MS);
        tally.daemonKills++;
        await startDaemon([], undefined, DAEMON_MS);
      } catch (e) {
        wrong.push(`the daemon's kill and restart: ${String(e)}`);
        stopAt = 0;
        return;
      } finally {
        epoch++;
        down = false;
      }
    }
  }

  test(
    `${CLIENTS} clients for ${SECONDS} s: every run not cut short by a daemon kill is bit-exact, and nothing is left`,
    async () => {
      const before = { slab: meminfo("SUnreclaim"), available: meminfo("MemAvailable"), contexts: liveContexts() };
      const start = Date.now();
      stopAt = start + SECONDS * 1000;
      await Promise.all([...Array.from({ length: CLIENTS }, (_, n) => client(n)), daemonKiller(start)]);
      if (!connected()) await startDaemon([], undefined, DAEMON_MS);
      await waitFor("every context to go", () => liveContexts() === before.contexts, 60_000);
      const after = { slab: meminfo("SUnreclaim"), available: meminfo("MemAvailable") };
      console.log(
        `soak: ${SECONDS} s, ${CLIENTS} clients on ${nodes().video}: ${tally.runs} contexts served, ` +
          `${tally.compared} compared (${tally.frames} frames), ${tally.cut} cut short by ${tally.daemonKills} daemon kills, ` +
          `${tally.clientKills} clients killed, ${tally.shed} storms failed alone past their share; slab ${mib(before.slab)} -> ${mib(after.slab)}, ` +
          `MemAvailable ${mib(before.available)} -> ${mib(after.available)}`,
      );
      expect(wrong).toEqual([]);
      // Every kind of run happened, and at least one compared run a client.
      expect(tally.compared).toBeGreaterThanOrEqual(CLIENTS);
      expect(tally.clientKills).toBeGreaterThan(0);
      expect(tally.daemonKills).toBeGreaterThan(0);
      expect(bridgeDebugfs("buffer bytes")).toBe(0);
      expect(after.slab - before.slab).toBeLessThan(SLAB_GROWTH_LIMIT);
      // And the node still decodes.
      const check = ffmpegClips[0];
      if (check) expect(await ffmpegRun(check, [])).toEqual({ kind: "compared", frames: refs.get(`ffmpeg ${check.path}`)?.length ?? -1 });
    },
    SECONDS * 1000 + 900_000,
  );
});

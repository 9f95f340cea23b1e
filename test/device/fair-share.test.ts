// SPDX-License-Identifier: BSD-2-Clause
// One context's share of the daemon's queue (issue 15, point 2). Every
// context's messages for the daemon wait in one queue; a client that
// storms its queues (STREAMOFF and STREAMON on CAPTURE in a loop, its
// buffers queued again each time: a STOP and the buffers handed over
// anew each round) may fill only its own share of it. Past that its
// context fails (its own calls answer EIO), no one else's; and its STOPs
// and CLOSE still reach the daemon, merged where they repeat themselves.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Clip } from "../../scripts/lib/clips";
import { codecMask, encodeHello, type KernelMessage } from "../../src/protocol/messages";
import { UAPI } from "../../src/protocol/uapi";
import { manyContextClips, seekClip } from "../helpers/decode-clips";
import {
  bridgeDebugfs,
  connected,
  ffmpegFrameMd5s,
  inVm,
  liveContexts,
  nodes,
  RawBridge,
  run,
  spawnFfmpegFrameMd5s,
  startDaemon,
  stopDaemon,
  waitFor,
} from "./helpers";
import { client, INIT, SEQ_TIMEOUT, seq } from "./m2m-seq";

/** One context's share of the queue. */
const SHARE = UAPI.CTX_QUEUE_MAX;
/** More rounds than the whole queue holds (DAEDALUS_TXQ_HARD_MAX, 8192). */
const ROUNDS = 9000;

/** Every message waiting on @br, until none comes for @quietMs. */
function drain(br: RawBridge, quietMs = 500): KernelMessage[] {
  const all: KernelMessage[] = [];
  for (;;) {
    try {
      all.push(br.read(quietMs));
    } catch {
      return all;
    }
  }
}

const ctxOf = (m: KernelMessage): number => m.msg.hdr.ctx_id;

describe.skipIf(!inVm)("one context's share of the daemon's queue", () => {
  let clip: Clip;

  beforeAll(() => {
    clip = seekClip();
  });
  afterAll(async () => {
    if (!connected()) await startDaemon();
  }, 60_000);

  test(
    "with a daemon that does not read, a storming client fills only its share; another client starts; every context's CLOSE arrives",
    async () => {
      await stopDaemon();
      const br = new RawBridge();
      try {
        br.write(encodeHello(1, { codecs: codecMask(["h264"]), pixfmts: 1, maxWidth: 1920, maxHeight: 1088, daemonVersion: "share-test" }));
        expect(br.read().type).toBe("WELCOME");

        const hostile = seq(clip, [...INIT, "reqbufs-cap:4", "streamon-cap", `storm:${ROUNDS}`]);
        const queued = bridgeDebugfs("queued for daemon");
        // Another client's START still reaches the daemon (with one queue
        // for all, the storm's 9,000 rounds fill it and this START fails).
        const honest = seq(clip, [...INIT]);
        expect(honest.result("streamon-out")).toBe("ok");

        expect(hostile.result("streamon-out")).toBe("ok");
        // Past its share its frame buffers are refused and its context
        // fails: its own calls (QBUF) answer EIO, and the kernel says why...
        expect(hostile.lineStarting("storm ")[0]).toMatch(new RegExp(`^storm ${ROUNDS} failed \\d+ first (EIO|none)$`));
        expect(run(["dmesg"]).out).toMatch(/context \d+ failed: its share of the daemon's queue is full/);
        // ...and what it leaves for the daemon stays within its share,
        // though it asked for a STOP 9,000 times (the queue holds 8,192).
        expect(queued).toBeLessThanOrEqual(SHARE + 4);

        const got = drain(br);
        const contexts = [...new Set(got.map(ctxOf))].filter((id) => id !== 0);
        expect(contexts).toHaveLength(2);
        const [hostileId, honestId] = contexts as [number, number];
        const hostileMsgs = got.filter((m) => ctxOf(m) === hostileId);
        const honestMsgs = got.filter((m) => ctxOf(m) === honestId);
        expect(hostileMsgs.length).toBeLessThanOrEqual(SHARE + 3);
        expect(honestMsgs[0]?.type).toBe("START");
        // Both clients have exited, over their share or not: each context's
        // queues stopped (OUTPUT, then CAPTURE where it streamed), then its
        // CLOSE. None of that is lost.
        const tail = (msgs: KernelMessage[], n: number) =>
          msgs.slice(-n).map((m) => (m.type === "STOP" ? `STOP ${m.msg.queue}` : m.type));
        expect(tail(hostileMsgs, 3)).toEqual(["STOP 0", "STOP 1", "CLOSE"]);
        expect(tail(honestMsgs, 2)).toEqual(["STOP 0", "CLOSE"]);
        console.log(
          `storm of ${ROUNDS} rounds: ${hostileMsgs.length} messages of it reached the stand-in daemon ` +
            `(${hostileMsgs.filter((m) => m.type === "STOP").length} STOPs); the other client's ${honestMsgs.length}`,
        );
      } finally {
        br.close();
      }
      expect(liveContexts()).toBe(0);
    },
    SEQ_TIMEOUT,
  );

  test(
    "three clients decode bit-exact to the end while a fourth storms its queues",
    async () => {
      if (!connected()) await startDaemon();
      const clips = manyContextClips().filter((c) => ["h264", "vp9", "hevc"].includes(c.codec)).slice(0, 3);
      const reference = clips.map((c) => ffmpegFrameMd5s(["-i", c.path]));
      const stormer = Bun.spawn([client(), "run", nodes().video, clip.path, ...INIT, "reqbufs-cap:4", "streamon-cap", "storm:20000"], {
        stdout: "pipe",
        stderr: "pipe",
      });
      const results = await Promise.all(
        clips.map((c) => spawnFfmpegFrameMd5s(["-c:v", `${c.codec}_v4l2m2m`, "-i", c.path]).done),
      );
      const stormOut = await new Response(stormer.stdout).text();
      expect(await stormer.exited).toBe(0);
      for (const [i, c] of clips.entries()) {
        const label = `${c.codec} ${c.width}x${c.height}`;
        expect(results[i]?.code, `${label}: ${results[i]?.err}`).toBe(0);
        expect(results[i]?.md5s, label).toEqual(reference[i] ?? []);
      }
      expect(stormOut).toMatch(/^storm 20000 failed \d+ first \w+$/m);
      expect(connected()).toBe(true);
      await waitFor("every context closed", () => liveContexts() === 0, 10_000);
      console.log(`${clips.map((c) => c.codec).join(", ")} bit-exact beside: ${stormOut.match(/^storm .*$/m)?.[0]}`);
    },
    SEQ_TIMEOUT * 2,
  );
});

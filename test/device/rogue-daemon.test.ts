// SPDX-License-Identifier: BSD-2-Clause
// A rogue daemon: the test holds the bridge, says HELLO, lets a real client
// (ffmpeg) start a stream so that real contexts, tags and buffers exist,
// and then answers with 100,000 messages that are random, replayed, out of
// order or malicious: other contexts, buffers not with the daemon, sizes
// beyond the plane, closed contexts, huge counts, lying length fields. Each
// one must be refused with EINVAL and counted by reason, or, where it names
// a context or buffer that was taken back, dropped quietly as stale; none
// may take effect. Afterwards the client is gone without a trace, the
// kernel's log is clean (scripts/vm checks) and the real daemon decodes.
// Between those: a rogue that describes the stream and goes silent meets
// the watchdog, and the dmabufs it can get of a client's buffers are
// read-only for bitstream buffers (test/c/bridge-expbuf.c maps them).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { flattenFields, type StructLayout, writeStruct, type Value } from "../../src/protocol/layout";
import {
  codecMask,
  encodeHello,
  encodePing,
  ERROR,
  ERROR_TEXT_LEN,
  FRAME,
  FRAME_FLAGS_ALL,
  HEADER,
  JOB_DONE,
  type KernelMessage,
  MSG_MAX_LEN,
  MsgType,
  PROTO_MAGIC,
  PROTO_VERSION,
  Queue,
  STREAM_INFO,
} from "../../src/protocol/messages";
import * as sys from "../../src/shim/sys";
import { robustnessClips } from "../helpers/decode-clips";
import {
  counter,
  exitedWithin,
  ffmpegFrameMd5s,
  inVm,
  liveContexts,
  RawBridge,
  seededRandom,
  startDaemon,
  stopDaemon,
  waitFor,
} from "./helpers";

const MESSAGES = Number(process.env.DAEDALUS_ROGUE_MESSAGES ?? 100_000);
const REASONS = ["short", "magic", "version", "type", "length", "field", "state", "context", "buffer"];
const TIMEOUT = 600_000;

/** Encodes @layout with a valid header for @type and @ctx, the given fields, zero elsewhere. */
function encode(layout: StructLayout, type: number, ctx: number, fields: Record<string, Value>): Uint8Array {
  const bytes = new Uint8Array(layout.size);
  const hdr = { magic: PROTO_MAGIC, version: PROTO_VERSION, type, length: layout.size, seq: 0, ctx_id: ctx, reserved: 0 };
  writeStruct(layout, new DataView(bytes.buffer), layout === HEADER ? hdr : { hdr, ...fields });
  return bytes;
}

/** STREAM_INFO for @ctx: an 8-bit NV12 stream of @width x @height, all of it visible. */
const streamInfo = (ctx: number, width: number, height: number) =>
  encode(STREAM_INFO, MsgType.STREAM_INFO, ctx, {
    width, height, visible_left: 0, visible_top: 0, visible_width: width, visible_height: height,
    pixfmt: 0, bit_depth: 8, min_buffers: 4, colorspace: 0, xfer_func: 0, ycbcr_enc: 0, quantization: 0, reserved: 0,
  });

/** The real client the rogue serves: FFmpeg's wrapper decoding @path through the node. */
const spawnClient = (path: string) =>
  Bun.spawn(["ffmpeg", "-nostdin", "-v", "error", "-c:v", "h264_v4l2m2m", "-i", path, "-f", "null", "-"], {
    stdout: "ignore",
    stderr: "pipe",
  });

/**
 * Reads every message the kernel has queued for @rogue, answering each PING
 * (the kernel would otherwise count the daemon as gone) and handing the
 * others to @take. Returns the number of PONGs sent.
 */
function readKernel(rogue: RawBridge, take: (m: KernelMessage) => void): number {
  let pongs = 0;
  for (;;) {
    let m: KernelMessage;
    try {
      m = rogue.read(0);
    } catch {
      return pongs;
    }
    if (m.type === "PING") {
      rogue.write(encodePing("PONG", m.msg.hdr.seq, m.msg.cookie));
      pongs++;
    } else {
      take(m);
    }
  }
}

function setHeader(bytes: Uint8Array, field: "length" | "type" | "ctx_id", value: number): Uint8Array {
  const at = flattenFields(HEADER).get(field)?.offset ?? -1;
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  if (field === "type") view.setUint16(at, value, true);
  else view.setUint32(at, value, true);
  return bytes;
}

describe.skipIf(!inVm)("a rogue daemon", () => {
  let br: RawBridge | undefined;
  const clip = robustnessClips().check;

  beforeAll(async () => {
    await stopDaemon();
    br = new RawBridge(sys.OPEN_NONBLOCK);
    expect(br.write(encodeHello(1, { codecs: codecMask(["h264"]), pixfmts: 1, maxWidth: 1920, maxHeight: 1088, daemonVersion: "rogue" }))).toBeGreaterThan(0);
    expect(br.read().type).toBe("WELCOME");
  }, 60_000);

  // Whatever happened, the suite's later files find the real daemon running.
  afterAll(async () => {
    if (!br) return;
    br.close();
    await startDaemon();
  }, 60_000);

  test(
    `${MESSAGES.toLocaleString("en")} malicious messages are refused and counted, and none takes effect`,
    async () => {
      const rogue = br as RawBridge;
      const client = spawnClient(clip.path);
      // What the kernel tells the rogue: the context, its jobs and frame buffers.
      const jobs: { ctx: number; tag: number; index: number }[] = [];
      const capbufs: { ctx: number; tag: number; index: number; size: number }[] = [];
      let ctx = 0;
      let pongs = 0;
      const drain = () => {
        pongs += readKernel(rogue, (m) => {
          const id = m.msg.hdr.ctx_id;
          if (m.type === "START") ctx = id;
          if (m.type === "JOB") jobs.push({ ctx: id, tag: m.msg.tag, index: m.msg.index });
          if (m.type === "CAPBUF") capbufs.push({ ctx: id, tag: m.msg.tag, index: m.msg.index, size: m.msg.size });
        });
      };
      await waitFor("the client's first bitstream buffer", () => (drain(), jobs.length > 0), 30_000);

      const before = Object.fromEntries(REASONS.map((r) => [r, counter(`rejected_${r}`)]));
      const rx0 = counter("rx");
      const stale0 = counter("stale");

      // One honest answer, so that replaying it is a replay of something once valid.
      const honest = jobs[0] as (typeof jobs)[number];
      const honestDone = encode(JOB_DONE, MsgType.JOB_DONE, honest.ctx, { tag: honest.tag, index: honest.index, flags: 0 });
      expect(rogue.write(honestDone)).toBe(JOB_DONE.size);

      const r = seededRandom(0x5eed_da1e);
      const farCtx = () => 0x4000_0000 + r.below(0x3fff_ffff);
      const job = () => r.pick(jobs);
      const cap = () => (capbufs.length ? r.pick(capbufs) : undefined);
      const kinds: [string, () => Uint8Array][] = [
        ["random bytes", () => {
          const b = new Uint8Array(r.below(MSG_MAX_LEN + 64));
          for (let i = 0; i < b.length; i++) b[i] = r.next() & 0xff;
          return b;
        }],
        ["a type the daemon may not send", () => {
          const types = Object.values(MsgType).filter((t) => t !== MsgType.PING);
          const t = r.below(2) ? r.pick(types) : r.below(0x10000);
          return setHeader(encode(HEADER, t, 0, {}), "type", t === MsgType.PING ? MsgType.PONG : t);
        }],
        ["a context that never existed", () =>
          encode(JOB_DONE, MsgType.JOB_DONE, farCtx(), { tag: r.next(), index: r.below(32), flags: 0 })],
        ["context 0 for a context's message", () =>
          encode(FRAME, MsgType.FRAME, 0, { tag: r.next(), index: 0, bytesused: 0, flags: 0, timestamp: 0n })],
        ["a bitstream buffer that is not with the daemon", () => {
          const j = job();
          return encode(JOB_DONE, MsgType.JOB_DONE, j.ctx, { tag: j.tag + 1000 + r.below(1000), index: j.index, flags: 0 });
        }],
        ["the right tag with another buffer's index", () => {
          const j = job();
          return encode(JOB_DONE, MsgType.JOB_DONE, j.ctx, { tag: j.tag, index: j.index + 1 + r.below(31), flags: 0 });
        }],
        ["a replay of the answer already given", () => honestDone.slice()],
        ["undefined job flags", () => {
          const j = job();
          return encode(JOB_DONE, MsgType.JOB_DONE, j.ctx, { tag: j.tag, index: j.index, flags: 2 << r.below(30) });
        }],
        ["a frame larger than its plane", () => {
          const c = cap();
          if (!c) return encode(FRAME, MsgType.FRAME, ctx, { tag: r.next(), index: 0, bytesused: 1, flags: 0, timestamp: 0n });
          return encode(FRAME, MsgType.FRAME, c.ctx, { tag: c.tag, index: c.index, bytesused: c.size + 1 + r.below(1 << 30), flags: 0, timestamp: 0n });
        }],
        ["undefined frame flags", () => {
          const c = cap();
          return encode(FRAME, MsgType.FRAME, c?.ctx ?? ctx, {
            tag: c?.tag ?? 0, index: c?.index ?? 0, bytesused: 0, flags: (FRAME_FLAGS_ALL + 1) << r.below(26), timestamp: 0n,
          });
        }],
        ["stream info with huge or impossible values", () => {
          const bad = r.below(5);
          return encode(STREAM_INFO, MsgType.STREAM_INFO, ctx, {
            width: bad === 0 ? 0xffff_fff0 : 640, height: 368,
            visible_left: 0, visible_top: 0, visible_width: bad === 1 ? 4096 : 640, visible_height: 360,
            pixfmt: bad === 2 ? 3 + r.below(1000) : 0, bit_depth: bad === 3 ? 99 : 8,
            min_buffers: bad === 4 ? 1_000_000_000 + r.below(1000) : 4,
            colorspace: 0, xfer_func: 0, ycbcr_enc: 0, quantization: 0, reserved: 0,
          });
        }],
        ["an error with an undefined code", () =>
          encode(ERROR, MsgType.ERROR, ctx, { code: r.below(2) ? 0 : 5 + r.below(1000), reserved: 0, text: "rogue" })],
        ["an error whose text is not terminated", () => {
          const b = encode(ERROR, MsgType.ERROR, ctx, { code: 2, reserved: 0, text: "" });
          b.fill(0x41, ERROR.size - ERROR_TEXT_LEN);
          return b;
        }],
        ["a length field that lies", () => {
          const j = job();
          const b = encode(JOB_DONE, MsgType.JOB_DONE, j.ctx, { tag: j.tag, index: j.index, flags: 0 });
          return setHeader(b, "length", r.below(2) ? 0xffff_ffff - r.below(16) : JOB_DONE.size + 4 + r.below(4096));
        }],
        ["a write larger than any message", () => new Uint8Array(MSG_MAX_LEN + 1 + r.below(1 << 16))],
      ];

      const refused = new Map<string, number>();
      const accepted = new Map<string, number>();
      for (let i = 0; i < MESSAGES; i++) {
        const [kind, make] = kinds[i % kinds.length] as (typeof kinds)[number];
        const res = rogue.write(make());
        const tally = res === "EINVAL" ? refused : accepted;
        if (typeof res === "string" && res !== "EINVAL") throw new Error(`${kind}: write failed with ${res}`);
        tally.set(kind, (tally.get(kind) ?? 0) + 1);
        if (i % 256 === 0) drain();
      }
      drain();

      const rejected = REASONS.map((r) => counter(`rejected_${r}`) - (before[r] ?? 0));
      const totalRefused = [...refused.values()].reduce((a, b) => a + b, 0);
      const totalAccepted = [...accepted.values()].reduce((a, b) => a + b, 0);
      const stale = counter("stale") - stale0;
      console.log(`rogue daemon: ${MESSAGES} messages, ${totalRefused} refused, ${totalAccepted} dropped as stale`);
      console.log(`  refused by reason: ${REASONS.map((r, i) => `${r} ${rejected[i]}`).join(", ")}`);
      console.log(`  per kind: ${kinds.map(([k]) => `${k}: ${refused.get(k) ?? 0}/${accepted.get(k) ?? 0}`).join("; ")}`);

      // Every refusal is counted under exactly one reason.
      expect(rejected.reduce((a, b) => a + b, 0)).toBe(totalRefused);
      // What was not refused was stale (a buffer or context taken back by
      // then): counted as such and without effect. Only the honest answer
      // and the PONGs were accepted as valid.
      expect(stale).toBe(totalAccepted);
      expect(counter("rx") - rx0).toBe(1 + totalAccepted + pongs);
      // Nothing the kernel does not track can be stale: those are always refused.
      for (const kind of ["random bytes", "a type the daemon may not send", "a context that never existed",
        "context 0 for a context's message", "a length field that lies", "a write larger than any message",
        "stream info with huge or impossible values", "an error with an undefined code",
        "an error whose text is not terminated", "undefined job flags", "undefined frame flags"]) {
        expect(`${kind}: ${accepted.get(kind) ?? 0}`).toBe(`${kind}: 0`);
      }

      // The rogue never decodes: the client's jobs time out, it gets its
      // error, and once it is gone nothing of its context remains.
      if (!(await exitedWithin(client, 30_000))) client.kill("SIGKILL");
      await client.exited;
      await waitFor("the client's context to be freed", () => liveContexts() === 0, 10_000);
    },
    TIMEOUT,
  );

  // Issue 15, point 5: FFmpeg sets CAPTURE up before the stream is parsed;
  // a daemon that then describes the stream (in the client's own format,
  // or in another) and never decodes must not leave the context paused out
  // of the watchdog's sight: the frame buffers go to the daemon again (at
  // once, or after FFmpeg's new CAPTURE setup), the watchdog fails the
  // context, and the client hears of it and exits.
  for (const [what, width, height] of [["its own format", 854, 480], ["another format", 640, 360]] as const) {
    test(`a daemon that describes the stream in ${what} and then says nothing: the watchdog ends the context`, async () => {
      const rogue = br as RawBridge;
      const timeouts = counter("timeouts");
      const client = spawnClient(clip.path);
      let ctx = 0;
      let capbufs = 0;
      let told = false;
      const serve = () =>
        readKernel(rogue, (m) => {
          if (m.type === "START") ctx = m.msg.hdr.ctx_id;
          if (m.type === "CAPBUF" && told) capbufs++;
        });
      await waitFor("the client's context", () => (serve(), ctx !== 0), 30_000);
      expect(rogue.write(streamInfo(ctx, width, height))).toBe(STREAM_INFO.size);
      told = true;
      // The rogue reads on (and answers PINGs) but decodes nothing.
      const exited = (async () => {
        while (!(await exitedWithin(client, 200))) serve();
        return true;
      })();
      const ended = await Promise.race([exited, Bun.sleep(60_000).then(() => false)]);
      if (!ended) client.kill("SIGKILL");
      await client.exited;
      expect(ended).toBe(true);
      expect(capbufs).toBeGreaterThan(0);
      expect(counter("timeouts")).toBe(timeouts + 1);
      await waitFor("the client's context to be freed", () => liveContexts() === 0, 10_000);
    }, TIMEOUT);
  }

  // Issue 15, point 5: the uAPI header promises that the dmabuf of a
  // bitstream buffer the node allocated is read-only for the daemon, so a
  // daemon taken over through libavcodec cannot rewrite a client's input;
  // a frame buffer's dmabuf is writable (that is the daemon's job).
  test("the dmabuf of a bitstream buffer the daemon holds maps read-only, EACCES for writing; a frame buffer's maps writable", async () => {
    const rogue = br as RawBridge;
    const client = spawnClient(clip.path);
    let ctx = 0;
    const jobs: { tag: number; index: number }[] = [];
    const capbufs: { tag: number; index: number }[] = [];
    const serve = () =>
      readKernel(rogue, (m) => {
        if (m.type === "START") ctx = m.msg.hdr.ctx_id;
        if (m.type === "JOB") jobs.push({ tag: m.msg.tag, index: m.msg.index });
        if (m.type === "CAPBUF") capbufs.push({ tag: m.msg.tag, index: m.msg.index });
      });
    const expbuf = (queue: number, b: { tag: number; index: number }) => {
      const r = Bun.spawnSync([join(process.env.DAEDALUS_TEST_CLIENTS ?? "", "bridge-expbuf"),
        ...[ctx, queue, b.index, b.tag].map(String)], { stdio: ["ignore", "pipe", "pipe", rogue.fd] });
      return r.stdout.toString().trim().split("\n");
    };
    await waitFor("the client's first bitstream buffer", () => (serve(), jobs.length > 0), 30_000);
    const job = jobs[0] as (typeof jobs)[number];
    expect(expbuf(Queue.OUTPUT, job)).toEqual(["expbuf ok", "rw EACCES", "ro ok"]);
    // The stream described in the client's own format: its frame buffers come.
    expect(rogue.write(streamInfo(ctx, 854, 480))).toBe(STREAM_INFO.size);
    // FFmpeg may set CAPTURE up again (its early format was another), which
    // takes back the frame buffers handed first: the newest one held counts.
    let mapped: string[] = [];
    await waitFor("a frame buffer the rogue still holds", () => {
      serve();
      const newest = capbufs.at(-1);
      mapped = newest ? expbuf(Queue.CAPTURE, newest) : [];
      return mapped.length > 0 && mapped[0] !== "expbuf ESTALE";
    }, 30_000);
    expect(mapped).toEqual(["expbuf ok", "rw ok", "ro ok"]);
    client.kill("SIGKILL");
    await client.exited;
    await waitFor("the client's context to be freed", () => (serve(), liveContexts() === 0), 30_000);
  }, TIMEOUT);

  test("after the rogue lets go, the real daemon decodes bit-exact", async () => {
    br?.close();
    br = undefined;
    await startDaemon();
    const node = ffmpegFrameMd5s(["-c:v", "h264_v4l2m2m", "-i", clip.path]);
    expect(node).toEqual(ffmpegFrameMd5s(["-i", clip.path]));
    expect(node.length).toBe(clip.frames);
  }, TIMEOUT);
});

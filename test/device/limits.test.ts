// SPDX-License-Identifier: BSD-2-Clause
// What one local user may take (issue 15, point 3): handles holding
// buffers, per user and in all, both nodes counted together (past a limit
// REQBUFS fails with EBUSY; opening stays unlimited, as V4L2 clients and
// v4l2-compliance expect), and the memory of one handle's buffers (past it
// REQBUFS gives fewer buffers, or ENOMEM when not one fits). The kernel
// says which limit, rate-limited. The limits are module parameters,
// writable at run time; the test lowers them and puts them back.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { release } from "node:os";
import type { Clip } from "../../scripts/lib/clips";
import { UAPI } from "../../src/protocol/uapi";
import { findNodes } from "../../src/status/read";
import * as sys from "../../src/shim/sys";
import { seekClip } from "../helpers/decode-clips";
import { inVm, MODULE, nodes, run } from "./helpers";
import { client, INIT, picture, SEQ_TIMEOUT, seq, seqSetup } from "./m2m-seq";

const PARAMS = `/sys/module/${MODULE}/parameters`;
const param = (name: string) => readFileSync(`${PARAMS}/${name}`, "utf8").trim();
const setParam = (name: string, value: number | string) => writeFileSync(`${PARAMS}/${name}`, String(value));
/*
 * 6.1's vb2 numbers a queue's mmap offsets by the running sum of its
 * buffers' sizes (later kernels by buffer index), and the node tells its
 * two queues apart by an offset base of 1 GiB: past 1 GiB of OUTPUT
 * buffers, their offsets would run into CAPTURE's.
 */
const SUMMED_OFFSETS = release().startsWith("6.1.");
/** The stateless node, once found. */
let slVideo = "";

/** A client holding a handle of @node with one OUTPUT buffer, as root or as uid 1000. */
interface Holder {
  /** REQBUFS' answer: "1", or the errno's name. */
  result: string;
  release(): Promise<void>;
}

async function hold(clip: Clip, node: string, asUser = false): Promise<Holder> {
  const steps = [client(), "run", node, clip.path, "fmt-out", "reqbufs-out:1", "settle:120000"];
  const p = Bun.spawn(asUser ? ["setpriv", "--reuid=1000", "--regid=1000", "--clear-groups", ...steps] : steps, {
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, ...(node === slVideo ? { M2M_SEQ_NO_EVENTS: "1" } : {}) },
  });
  const release = async () => {
    p.kill();
    await p.exited;
  };
  const reader = p.stdout.getReader();
  let out = "";
  for (;;) {
    const m = out.match(/^result reqbufs-out (\S+)$/m);
    if (m) return { result: m[1] ?? "", release };
    const { value, done } = await reader.read();
    if (done) throw new Error(`m2m-seq ended before REQBUFS:\n${out}\n${await new Response(p.stderr).text()}`);
    out += new TextDecoder().decode(value);
  }
}

describe.skipIf(!inVm)("limits on what one user may take", () => {
  const saved: Record<string, string> = {};
  const holders: Holder[] = [];
  const modes = new Map<string, number>();
  let clip: Clip;
  let video = "";

  beforeAll(() => {
    for (const p of ["max_contexts", "max_contexts_per_user", "max_buffer_mib", "job_timeout_ms"]) saved[p] = param(p);
    clip = seekClip();
    video = nodes().video;
    slVideo = findNodes(undefined, UAPI.SL_CARD_NAME).video ?? "";
    // The guest has no udev: the nodes are root's alone until opened to all.
    for (const n of [video, slVideo].filter(Boolean)) {
      modes.set(n, statSync(n).mode & 0o777);
      chmodSync(n, 0o666);
    }
  });
  afterAll(async () => {
    for (const h of holders.splice(0)) await h.release();
    for (const [p, v] of Object.entries(saved)) setParam(p, v);
    for (const [n, m] of modes) chmodSync(n, m);
  });

  test("the defaults leave room for a desktop's worth of clients", () => {
    expect(Number(saved.max_contexts)).toBe(64);
    expect(Number(saved.max_contexts_per_user)).toBe(32);
    expect(Number(saved.max_buffer_mib)).toBe(2048);
  });

  test("past max_contexts_per_user REQBUFS fails with EBUSY, on either node, and the log names the limit", async () => {
    run(["dmesg", "-C"]);
    setParam("max_contexts_per_user", 2);
    setParam("max_contexts", 3);
    for (let i = 0; i < 2; i++) {
      const h = await hold(clip, video);
      holders.push(h);
      expect(h.result).toBe("1");
    }
    for (const node of [video, slVideo].filter(Boolean)) {
      const h = await hold(clip, node);
      await h.release();
      expect(h.result, node).toBe("EBUSY");
    }
    expect(run(["dmesg"]).out).toMatch(/buffers refused: user 0 has 2 handles with buffers \(max_contexts_per_user\)/);
  });

  // Issue 15, point 5: a client may ask as often as it likes; the kernel's
  // log must not grow with it (a burst of ten a call site per five seconds).
  test("a client asking 500 times past the limit is refused each time; the log says so a few times only", () => {
    run(["dmesg", "-C"]);
    const asks = 500;
    const t = seq(clip, ["fmt-out", ...Array.from({ length: asks }, () => "reqbufs-out:1")]);
    expect(t.results("reqbufs-out")).toEqual(Array.from({ length: asks }, () => "EBUSY"));
    const lines = run(["dmesg"]).out.split("\n").filter((l) => l.includes("(max_contexts_per_user)"));
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.length).toBeLessThanOrEqual(20);
  });

  test("opening stays unlimited: a hundred handles open at once, as v4l2-compliance checks", () => {
    const fds: number[] = [];
    try {
      for (let i = 0; i < 100; i++) fds.push(sys.open(video));
      expect(fds).toHaveLength(100);
    } finally {
      for (const fd of fds) sys.close(fd);
    }
  });

  test("another user still gets one, then max_contexts stops it too", async () => {
    run(["dmesg", "-C"]);
    const first = await hold(clip, slVideo || video, true);
    holders.push(first);
    expect(first.result).toBe("1");
    const second = await hold(clip, video, true);
    await second.release();
    expect(second.result).toBe("EBUSY");
    expect(run(["dmesg"]).out).toMatch(/buffers refused: 3 handles hold buffers \(max_contexts\)/);
  });

  test("with room again, that user gets up to its own limit, and no more; a closed handle makes room at once", async () => {
    setParam("max_contexts", 64);
    const second = await hold(clip, video, true);
    holders.push(second);
    expect(second.result).toBe("1");
    const third = await hold(clip, video, true);
    await third.release();
    expect(third.result).toBe("EBUSY");
    await holders.pop()?.release();
    const again = await hold(clip, video, true);
    holders.push(again);
    expect(again.result).toBe("1");
  });

  test("past max_buffer_mib REQBUFS gives the buffers that fit, then ENOMEM; the log names the limit", async () => {
    for (const h of holders.splice(0)) await h.release();
    run(["dmesg", "-C"]);
    // m2m-seq's fmt-out asks for 512 KiB, the node's least is 1 MiB: 8 fill 8 MiB.
    setParam("max_buffer_mib", 8);
    const t = seq(clip, ["fmt-out", "reqbufs-out:32", "reqbufs-cap:4"]);
    expect(t.result("reqbufs-out")).toBe("8");
    // The frame buffers count against the same handle: none fits now.
    expect(t.result("reqbufs-cap")).toBe("ENOMEM");
    expect(run(["dmesg"]).out).toMatch(/context \d+: 8 of 32 buffers of 1048576 bytes fit \(max_buffer_mib/);
    setParam("max_buffer_mib", saved.max_buffer_mib ?? "2048");
    const roomy = seq(clip, ["fmt-out", "reqbufs-out:32", "reqbufs-cap:4"]);
    expect(roomy.result("reqbufs-out")).toBe("32");
    expect(roomy.result("reqbufs-cap")).toBe("4");
  });

  // Allocates 1 GiB of buffers: scripts/test gives the 6.1 guest the memory.
  test.skipIf(!SUMMED_OFFSETS)(
    "on 6.1, OUTPUT buffers stop at 1 GiB of offsets, below CAPTURE's: every buffer maps memory of its own",
    () => {
      run(["dmesg", "-C"]);
      // 32 bitstream buffers of 64 MiB (the largest) would be 2 GiB, within max_buffer_mib.
      const t = seq(clip, ["fmt-out-mib:64", "reqbufs-out:32", "reqbufs-cap:4", "distinct"]);
      expect(t.result("reqbufs-out")).toBe("16");
      expect(t.result("reqbufs-cap")).toBe("4");
      expect(t.result("distinct")).toBe("20");
      expect(run(["dmesg"]).out).toMatch(/context \d+: 16 of 32 buffers of 67108864 bytes fit/);
    },
    60_000,
  );

  // The watchdog reads the parameter once per arming: read twice, a 0
  // between the two reads would arm it to fire at once on a context with
  // work in hand. The window is a few instructions: this shows that the
  // change is safe to make, not that a second read would be caught.
  test("job_timeout_ms rewritten all through a decode, to 0 and back, fails no healthy context", async () => {
    const { ref } = await seqSetup();
    run(["dmesg", "-C"]);
    const file = `${PARAMS}/job_timeout_ms`;
    const flip = Bun.spawn(["sh", "-c", `while echo 0 > ${file} && echo 5000 > ${file}; do :; done`]);
    try {
      const t = seq(clip, [...INIT, `feed:0:${clip.frames}`, "stop", "last"]);
      expect(picture(t.frames())).toEqual(ref);
      expect(t.result("dqbuf-after-last")).toBe("EPIPE");
    } finally {
      flip.kill();
      await flip.exited;
      setParam("job_timeout_ms", saved.job_timeout_ms ?? "5000");
    }
    // Still writing when stopped: no write failed all along.
    expect(flip.signalCode).toBe("SIGTERM");
    expect(run(["dmesg"]).out).not.toMatch(/did not answer in time/);
  }, SEQ_TIMEOUT);
});

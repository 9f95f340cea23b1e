// SPDX-License-Identifier: BSD-2-Clause
// What one local user may take (issue 15, point 3): decoding contexts per
// user and in all, both nodes counted together (past a limit open() fails
// with EBUSY), and the memory of one handle's buffers (past it REQBUFS
// gives fewer buffers, or ENOMEM when not one fits). The kernel says
// which limit, rate-limited. The limits are module parameters, writable
// at run time; the test lowers them and puts them back.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { findNodes } from "../../src/status/read";
import { UAPI } from "../../src/protocol/uapi";
import * as sys from "../../src/shim/sys";
import { seekClip } from "../helpers/decode-clips";
import { inVm, MODULE, nodes, run } from "./helpers";
import { seq } from "./m2m-seq";

const PARAMS = `/sys/module/${MODULE}/parameters`;
const param = (name: string) => readFileSync(`${PARAMS}/${name}`, "utf8").trim();
const setParam = (name: string, value: number | string) => writeFileSync(`${PARAMS}/${name}`, String(value));

/** What opening @node gives: "ok" (closed again at once) or the errno's name. */
function tryOpen(node: string): string {
  try {
    sys.close(sys.open(node));
    return "ok";
  } catch (e) {
    return e instanceof sys.SysError ? e.code : String(e);
  }
}

/**
 * Tries to open @node @n times as uid 1000, holding each; the opens it got
 * before the first failure, and that failure's text. (`command` keeps a
 * failed redirection from ending the shell with its own status.)
 */
function opensAsUser(node: string, n: number): { opened: number; err: string } {
  const script = Array.from({ length: n }, (_, i) => `command exec ${i + 3}<>${node} || exit ${i}`).join("; ");
  const r = run(["setpriv", "--reuid=1000", "--regid=1000", "--clear-groups", "sh", "-c", `${script}; exit ${n}`]);
  return { opened: r.code, err: r.err.trim() };
}

describe.skipIf(!inVm)("limits on what one user may take", () => {
  const saved: Record<string, string> = {};
  const held: number[] = [];
  let video = "";
  let slVideo = "";
  const modes = new Map<string, number>();

  beforeAll(() => {
    for (const p of ["max_contexts", "max_contexts_per_user", "max_buffer_mib"]) saved[p] = param(p);
    video = nodes().video;
    slVideo = findNodes(undefined, UAPI.SL_CARD_NAME).video ?? "";
    // The guest has no udev: the nodes are root's alone until opened to all.
    for (const n of [video, slVideo].filter(Boolean)) {
      modes.set(n, statSync(n).mode & 0o777);
      chmodSync(n, 0o666);
    }
  });
  afterAll(() => {
    for (const fd of held.splice(0)) sys.close(fd);
    for (const [p, v] of Object.entries(saved)) setParam(p, v);
    for (const [n, m] of modes) chmodSync(n, m);
  });

  test("the defaults leave room for a desktop's worth of clients", () => {
    expect(Number(saved.max_contexts)).toBe(64);
    expect(Number(saved.max_contexts_per_user)).toBe(32);
    expect(Number(saved.max_buffer_mib)).toBe(2048);
  });

  test("past max_contexts_per_user an open fails with EBUSY, on either node, and the log names the limit", () => {
    run(["dmesg", "-C"]);
    setParam("max_contexts_per_user", 2);
    setParam("max_contexts", 3);
    held.push(sys.open(video), sys.open(video));
    expect(tryOpen(video)).toBe("EBUSY");
    if (slVideo) expect(tryOpen(slVideo)).toBe("EBUSY");
    expect(run(["dmesg"]).out).toMatch(/open refused: user 0 has 2 contexts open \(max_contexts_per_user\)/);
  });

  test("another user still gets one context, then max_contexts stops it too", () => {
    run(["dmesg", "-C"]);
    const r = opensAsUser(slVideo || video, 2);
    expect(r.opened).toBe(1);
    expect(r.err).toMatch(/busy/i);
    expect(run(["dmesg"]).out).toMatch(/open refused: 3 contexts are open \(max_contexts\)/);
  });

  test("with room again, that user gets up to its own limit, and no more", () => {
    setParam("max_contexts", 64);
    const r = opensAsUser(video, 3);
    expect(r.opened).toBe(2);
    expect(r.err).toMatch(/busy/i);
  });

  test("a closed context makes room at once", () => {
    sys.close(held.pop() as number);
    held.push(sys.open(video));
    expect(held).toHaveLength(2);
  });

  test("past max_buffer_mib REQBUFS gives the buffers that fit, then ENOMEM; the log names the limit", () => {
    for (const fd of held.splice(0)) sys.close(fd);
    setParam("max_contexts", 64);
    run(["dmesg", "-C"]);
    // m2m-seq's fmt-out asks for 512 KiB, the node's least is 1 MiB: 8 fill 8 MiB.
    setParam("max_buffer_mib", 8);
    const t = seq(seekClip(), ["fmt-out", "reqbufs-out:32", "reqbufs-cap:4"]);
    expect(t.result("reqbufs-out")).toBe("8");
    // The frame buffers count against the same handle: none fits now.
    expect(t.result("reqbufs-cap")).toBe("ENOMEM");
    expect(run(["dmesg"]).out).toMatch(/context \d+: 8 of 32 buffers of 1048576 bytes fit \(max_buffer_mib/);
    setParam("max_buffer_mib", saved.max_buffer_mib ?? "2048");
    const roomy = seq(seekClip(), ["fmt-out", "reqbufs-out:32", "reqbufs-cap:4"]);
    expect(roomy.result("reqbufs-out")).toBe("32");
    expect(roomy.result("reqbufs-cap")).toBe("4");
  });
});

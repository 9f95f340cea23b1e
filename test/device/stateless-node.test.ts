// SPDX-License-Identifier: BSD-2-Clause
// The stateless node (dev-stateless-decoder.rst) and its request path. A
// stand-in holds the bridge instead of the daemon (test/c/sl-request.c): it
// announces stateless codecs and answers each job by hand, which shows
// exactly what the module sends and does with each answer (the real
// daemon's decoding is stateless-decode's and stateless-robustness's).
// What this file shows:
// - the node and its own media device, told apart from the stateful ones
//   by model, with the codecs announced that the running kernel has
//   controls for (AV1's came in 6.5), as `daedalusd status` shows them;
// - v4l2-compliance 1.30 on the media device and the node: no failures;
// - the request path from both ends, from 64- and 32-bit clients: one
//   SL_JOB per request with its frame buffer and its controls (carried
//   over from earlier requests), the reply rules, the timestamp the frame
//   inherits, ERROR, held pictures (HOLD_CAPTURE_BUF, SL_FINISH, FLUSH),
//   STREAMOFF with a job out;
// - the real daemon's default offer there, which leaves HEVC out on a
//   Raspberry Pi 5 (the arm64-16k guest has its device tree compatible);
// - a request fd holds the module: rmmod waits until it is closed.
// Afterwards the module is loaded as before and the daemon restarted.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { release } from "node:os";
import { join } from "node:path";
import { machineCompatible, PI5_COMPATIBLE } from "../../src/daemon/stateless-policy";
import { findNodes } from "../../src/status/read";
import { UAPI } from "../../src/protocol/uapi";
import {
  compliance130,
  DAEMON_LOG,
  daedalusd,
  inVm,
  loadStatelessNode,
  MODULE,
  nodes,
  reportCompliance,
  restoreModule,
  run,
  startDaemon,
  stopDaemon,
} from "./helpers";

const TIMEOUT = 300_000;
const loaded = () => existsSync(`/sys/module/${MODULE}`);

/** Every codec bit; the module keeps those the kernel has controls for. */
const ALL_SL = (1 << UAPI.CODEC_COUNT) - 1;

/** AV1's stateless controls exist from Linux 6.5. */
function kernelHasAv1(): boolean {
  const [major = 0, minor = 0] = release().split(".").map(Number);
  return major > 6 || (major === 6 && minor >= 5);
}

function slClient(abi: "64" | "32" = "64"): string {
  const dir = process.env.DAEDALUS_TEST_CLIENTS;
  if (!dir) throw new Error("DAEDALUS_TEST_CLIENTS is not set: the device suite runs through scripts/vm");
  return join(dir, abi === "32" ? "sl-request-32" : "sl-request");
}

const slNodes = () => findNodes(undefined, UAPI.SL_CARD_NAME);

/** sl-request in the background, its stdout read line by line. */
function spawnClient(args: string[]) {
  const proc = Bun.spawn([slClient(), ...args], { stdin: "pipe", stdout: "pipe", stderr: "pipe" });
  const reader = proc.stdout.getReader();
  let text = "";
  return {
    proc,
    /** The first line that starts with @prefix, waiting for it. */
    async line(prefix: string): Promise<string> {
      for (;;) {
        const found = text.split("\n").find((l) => l.startsWith(prefix));
        if (found) return found;
        const { value, done } = await reader.read();
        if (done) throw new Error(`sl-request ended without "${prefix}":\n${text}`);
        text += new TextDecoder().decode(value);
      }
    },
    async end(): Promise<number> {
      proc.stdin.end();
      return proc.exited;
    },
  };
}

describe.skipIf(!inVm)("stateless node", () => {
  // The stand-in daemon of each test holds the bridge: no real one.
  beforeAll(() => loadStatelessNode([], false), 60_000);

  afterAll(restoreModule, 60_000);

  test("a node and media device of its own beside the stateful ones, each found by its model", () => {
    const sl = slNodes();
    const stateful = nodes();
    expect(sl.video).not.toBeNull();
    expect(sl.video).not.toBe(stateful.video);
    expect(sl.media).not.toBe(stateful.media);
    const info = run(["v4l2-ctl", "-d", sl.video ?? "", "--info"]).out;
    expect(info).toContain(`Card type        : ${UAPI.SL_CARD_NAME}`);
    expect(info).toMatch(/Device Caps.*\n(\t\t.*\n)*\t\tVideo Memory-to-Memory Multiplanar/);
  });

  test(
    "the stateless codecs announced that this kernel has controls for; v4l2-compliance 1.30: no failures",
    async () => {
      const sl = slNodes();
      const daemon = spawnClient(["serve", String(ALL_SL)]);
      try {
        const want = ALL_SL & (kernelHasAv1() ? ~0 : ~(1 << UAPI.CODEC_AV1));
        expect(await daemon.line("welcome")).toBe(`welcome sl_codecs ${`0x${want.toString(16)}`}`);
        const status = JSON.parse(run(daedalusd("status", "--json")).out) as {
          slNodes: { video: string | null };
          bridge: { slCodecs: string[] };
        };
        expect(status.slNodes.video).toBe(sl.video);
        expect(status.bridge.slCodecs).toEqual(["h264", "hevc", "vp8", "vp9", ...(kernelHasAv1() ? ["av1"] : []), "mpeg2"]);
        const formats = run(["v4l2-ctl", "-d", sl.video ?? "", "--list-formats-out"]).out;
        const fourccs = [...formats.matchAll(/'(\w{4})'/g)].map((m) => m[1]);
        expect(fourccs).toEqual(["S264", "S265", "VP8F", "VP9F", ...(kernelHasAv1() ? ["AV1F"] : []), "MG2S"]);

        // -m: the media device, then every node it names; the last line totals both.
        const r = compliance130(["-m", sl.media ?? ""]);
        const grand = reportCompliance("v4l2-compliance 1.30 -m (stateless), grand total", r.out);
        expect(r.out).toContain(`Compliance test for ${MODULE} device ${sl.video}`);
        expect(r.out).toContain("Detected Stateless Decoder");
        expect(r.out).toContain("Grand Total for");
        expect(grand.total).toBeGreaterThan(50);
        expect(grand.failed, r.out).toBe(0);
      } finally {
        await daemon.end();
      }
    },
    TIMEOUT,
  );

  for (const abi of ["64", "32"] as const) {
    test(`the request path from both ends (${abi}-bit client)`, () => {
      const sl = slNodes();
      const r = Bun.spawnSync([slClient(abi), "requests", sl.video ?? "", sl.media ?? ""], {
        stdout: "pipe",
        stderr: "pipe",
        timeout: 60_000,
      });
      const out = r.stdout.toString();
      expect(out.split("\n").filter((l) => l.startsWith("FAIL")), out + r.stderr.toString()).toEqual([]);
      expect(out.split("\n").filter((l) => l.startsWith("ok ")).length).toBe(11);
      expect(out).toContain("done");
      expect(r.exitCode).toBe(0);
    });
  }

  test("the real daemon's own offer: every codec it rebuilds, but HEVC on a Raspberry Pi 5 (rpi-hevc-dec's there)", async () => {
    const pi5 = machineCompatible().includes(PI5_COMPATIBLE);
    await startDaemon();
    try {
      const status = JSON.parse(run(daedalusd("status", "--json")).out) as { bridge: { slCodecs: string[] } };
      expect(status.bridge.slCodecs).toEqual(["h264", ...(pi5 ? [] : ["hevc"]), "vp8", "vp9", "mpeg2"]);
      if (pi5) expect(readFileSync(DAEMON_LOG, "utf8")).toContain("stateless HEVC is left to its own decoder");
    } finally {
      await stopDaemon();
    }
  });

  test("a request fd holds the module: rmmod is refused until it is closed", async () => {
    const holder = spawnClient(["hold-request", slNodes().media ?? ""]);
    await holder.line("ready");
    const refused = run(["rmmod", MODULE]);
    expect(refused.code).not.toBe(0);
    expect(refused.err).toMatch(/in use/i);
    expect(await holder.end()).toBe(0);
    const rmmod = run(["rmmod", MODULE]);
    expect(rmmod.code, rmmod.err).toBe(0);
    expect(loaded()).toBe(false);
  });
});

// SPDX-License-Identifier: BSD-2-Clause
// Decoding through the stateless node, with the module loaded with
// stateless=1 and the real daemon: GStreamer's own stateless elements
// (v4l2codecs, bookworm's 1.22) find the node through its media device,
// fill the codec controls from their own parsers and queue one request per
// picture; every frame must be the one GStreamer's libav decoder gives
// (per-frame MD5). The codecs are those the daemon rebuilds access units
// of so far: H.264 (frame-based), VP8, VP9 and MPEG-2. Afterwards the
// module is loaded as before and the daemon restarted.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, rmSync } from "node:fs";
import { statelessClips } from "../helpers/decode-clips";
import { findNodes } from "../../src/status/read";
import { UAPI } from "../../src/protocol/uapi";
import { connected, DAEMON_LOG, gstFrameMd5s, inVm, reduced, run, startDaemon, stopDaemon, waitFor } from "./helpers";

const MODULE = "daedalus_v4l2";
/** v4l2codecs registers an element per decoder it finds: a registry of its own, made afresh. */
const REGISTRY = "/tmp/gst-registry-stateless.bin";

function reload(extra: string[]): void {
  const ko = process.env.DAEDALUS_KO;
  if (!ko) throw new Error("DAEDALUS_KO is not set: run the device suite through scripts/vm");
  if (existsSync(`/sys/module/${MODULE}`)) {
    const r = run(["rmmod", MODULE]);
    if (r.code !== 0) throw new Error(`rmmod: ${r.err}`);
  }
  const params = (process.env.DAEDALUS_MODULE_PARAMS ?? "").split(" ").filter(Boolean);
  const r = run(["insmod", ko, ...params, ...extra]);
  if (r.code !== 0) throw new Error(`insmod ${extra.join(" ")}: ${r.err}`);
}

describe.skipIf(!inVm)("decoding through the stateless node", () => {
  const all = statelessClips();
  // Reduced runs: each codec at a size that is not a multiple of 16, and the sliced clip.
  const clips = reduced ? all.filter((c) => c.width === 426 || c.slices) : all;

  beforeAll(async () => {
    await stopDaemon();
    reload(["stateless=1"]);
    await waitFor("the stateless node", () => findNodes(undefined, UAPI.SL_CARD_NAME).media !== null, 10_000);
    await startDaemon();
    rmSync(REGISTRY, { force: true });
  }, 60_000);

  afterAll(async () => {
    await stopDaemon();
    reload([]);
    await waitFor("the stateful node", () => findNodes().media !== null, 10_000);
    if (!connected()) await startDaemon();
  }, 60_000);

  test(
    "GStreamer finds a stateless decoder element for each codec the daemon announced",
    () => {
      const r = run(["gst-inspect-1.0", "v4l2codecs"], { env: { GST_REGISTRY: REGISTRY } });
      const elements = [...r.out.matchAll(/^\s+(v4l2sl\w+dec):/gm)].map((m) => m[1]);
      expect(elements).toEqual(["v4l2slh264dec", "v4l2slmpeg2dec", "v4l2slvp8dec", "v4l2slvp9dec"]);
    },
    120_000,
  );

  for (const clip of clips) {
    const what = `${clip.codec} ${clip.width}x${clip.height}${clip.slices ? `, ${clip.slices} slices a picture` : ""}`;
    test(
      `${what}: every frame as GStreamer's libav decoder gives it`,
      () => {
        const expected = gstFrameMd5s(clip, "av", { registry: REGISTRY });
        const got = gstFrameMd5s(clip, "v4l2sl", { registry: REGISTRY });
        expect(expected.length).toBe(clip.frames);
        expect(got).toEqual(expected);
      },
      240_000,
    );
  }

  test("no request failed in the daemon", () => {
    const text = Bun.spawnSync(["cat", DAEMON_LOG]).stdout.toString();
    expect(text).toContain("(stateless)");
    expect(text).not.toMatch(/request \d+ fails/);
  });
});

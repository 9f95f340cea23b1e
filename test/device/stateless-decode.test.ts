// SPDX-License-Identifier: BSD-2-Clause
// Decoding through the stateless node with the real daemon (the module
// loaded again for each decode mode): GStreamer's own stateless elements
// (v4l2codecs, bookworm's 1.22) find the node through its media device,
// fill the codec controls from their own parsers and queue one request per
// picture; every frame must be plain libavcodec's, sample for sample
// (per-frame MD5 of the NV12 frames GStreamer gives and of ffmpeg's, P010
// for 10-bit HEVC and VP9). The codecs are those the daemon rebuilds
// access units of so far: H.264 and HEVC (whole pictures, or a slice a
// request), VP8, VP9 and MPEG-2.
// Afterwards the module is loaded as before and the daemon restarted.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { statelessClips, tenBitClips } from "../helpers/decode-clips";
import {
  DAEMON_LOG,
  ffmpegFrameMd5s,
  ffmpegPixFmtFor,
  gstRawFrameMd5s,
  inVm,
  loadStatelessNode,
  minimal,
  reduced,
  restoreModule,
  run,
} from "./helpers";

/** v4l2codecs registers an element per decoder it finds: a registry of its own, made afresh. */
const REGISTRY = "/tmp/gst-registry-stateless.bin";

/**
 * The node's two ways for H.264 (module parameter stateless_slice_mode):
 * whole pictures with start codes, or one slice a request without them,
 * the pictures held across requests (HOLD_CAPTURE_BUF). GStreamer follows
 * the decode mode and start code it finds set.
 */
// DAEDALUS_SL_MODES=frame leaves the slice-based run out (CI's arm64-16k share).
const modes = (process.env.DAEDALUS_SL_MODES ?? "frame,slice").split(",");
for (const mode of (["frame", "slice"] as const).filter((m) => modes.includes(m))) {
  describe.skipIf(!inVm || (mode === "slice" && minimal))(`decoding through the stateless node (H.264 and HEVC ${mode}-based)`, () => {
    const all = [...statelessClips(), ...tenBitClips()].filter((c) => mode === "frame" || c.codec === "h264" || c.codec === "hevc");
    // Reduced runs (DAEDALUS_REDUCED=1): whole pictures of each codec at a
    // size that is not a multiple of 16, H.264's sliced and interlaced
    // clips and the 10-bit ones; a slice a request for the sliced H.264
    // clip and HEVC. Minimal runs (=2): whole pictures of each codec at
    // that size.
    const pick = (c: (typeof all)[number]) =>
      mode === "frame"
        ? c.width === 426 || (!minimal && (c.slices > 0 || c.interlaced || c.bitDepth === 10))
        : !minimal && (c.slices > 0 || (c.codec === "hevc" && c.width === 426 && c.bitDepth === 8));
    const clips = reduced ? all.filter(pick) : all;

    beforeAll(async () => {
      await loadStatelessNode(mode === "slice" ? ["stateless_slice_mode=1"] : []);
      rmSync(REGISTRY, { force: true });
    }, 60_000);

    afterAll(restoreModule, 60_000);

    test(
      "GStreamer finds a stateless decoder element for each codec the daemon announced",
      () => {
        const r = run(["gst-inspect-1.0", "v4l2codecs"], { env: { GST_REGISTRY: REGISTRY } });
        const elements = [...r.out.matchAll(/^\s+(v4l2sl\w+dec):/gm)].map((m) => m[1]);
        expect(elements).toEqual(["v4l2slh264dec", "v4l2slh265dec", "v4l2slmpeg2dec", "v4l2slvp8dec", "v4l2slvp9dec"]);
      },
      120_000,
    );

    for (const clip of clips) {
      const kind = clip.slices
        ? `, ${clip.slices} slices a picture`
        : clip.interlaced
          ? ", interlaced (MBAFF)"
          : clip.bitDepth === 10
            ? ", 10-bit (P010)"
            : "";
      test(
        `${clip.codec} ${clip.width}x${clip.height}${kind}: every frame as plain libavcodec decodes it`,
        () => {
          const expected = ffmpegFrameMd5s(["-i", clip.path, "-pix_fmt", ffmpegPixFmtFor(clip)]);
          const got = gstRawFrameMd5s(clip, { registry: REGISTRY });
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
}

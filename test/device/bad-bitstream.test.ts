// SPDX-License-Identifier: BSD-2-Clause
// Bad bitstreams: access units flipped, cut short, replaced by random bytes
// or by another codec's, or empty, fed one per OUTPUT buffer by m2m-seq's
// feed-bad (a seeded generator: the same damage every run). The node gives
// them back (ERROR-flagged or not), decoding recovers at the next keyframe
// bit-exact, the daemon lives on, and a context decoding meanwhile is not
// disturbed. (Streams the daemon cannot deliver, 4:2:2 and 4:4:4:
// chroma-formats.test.ts.)
//
// DAEDALUS_FUZZ_BUFFERS sets the damaged buffers (default 2000; more by
// hand), DAEDALUS_FUZZ_SEED the seed.
import { beforeAll, describe, expect, test } from "bun:test";
import type { Clip } from "../../scripts/lib/clips";
import { robustnessClips, v4l2ctlClips } from "../helpers/decode-clips";
import { daemonPid, ffmpegFrameMd5s, inVm, spawnFfmpegFrameMd5s } from "./helpers";
import { expected, INIT, picture, type RefFrame, SEQ_TIMEOUT, seq, seqSetup } from "./m2m-seq";

const BUFFERS = Number(process.env.DAEDALUS_FUZZ_BUFFERS ?? 2000);
const SEED = Number(process.env.DAEDALUS_FUZZ_SEED ?? 0xbadb175);

let clip: Clip;
let ref: RefFrame[];

describe.skipIf(!inVm)("bad bitstreams", () => {
  beforeAll(async () => {
    ({ clip, ref } = await seqSetup());
  }, 120_000);

  test(
    `${BUFFERS} damaged access units: decoding recovers at the next IDR, and another context carries on`,
    async () => {
      const pid = daemonPid();
      const { long } = robustnessClips();
      // Another context decodes all along, through FFmpeg: a long 1080p clip.
      const other = spawnFfmpegFrameMd5s(["-c:v", "h264_v4l2m2m", "-i", long.path]);
      // Wrong-codec bytes: a VP9 stream's.
      const vp9 = v4l2ctlClips().find((c) => c.codec === "vp9");
      if (!vp9) throw new Error("no VP9 clip");
      const t = seq(clip, [...INIT, `alien:${vp9.path}`, `feed-bad:${SEED}:${BUFFERS}`, "feed:0:40", "stop", "last"]);
      const kinds = new Map<string, number>();
      for (const l of t.lineStarting("queue ")) {
        const kind = l.split(" ")[3];
        if (kind) kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
      }
      const bad = t.before("feed:0:40");
      console.log(
        `bad bitstreams: seed ${SEED}, ${BUFFERS} buffers (${[...kinds].map(([k, n]) => `${n} ${k}`).join(", ")}); ` +
          `${bad.frames().length} frames, ${bad.lineStarting("frame-error ").length} flagged ERROR, ` +
          `${bad.lineStarting("out-error ").length} bitstream buffers flagged ERROR`,
      );
      expect([...kinds.keys()].sort()).toEqual(["alien", "cut", "empty", "flipped", "kept", "random"]);
      // Every damaged buffer came back, and the clean stream after them decodes bit-exact.
      expect(t.results("stop")).toEqual(["ok"]);
      const first = Math.min(...t.from("feed:0:40").serials());
      expect(picture(t.frames().filter((f) => f.serial >= first))).toEqual(expected(ref, 0, 40));
      expect(daemonPid()).toBe(pid);

      const { md5s: otherMd5s, code } = await other.done;
      expect(code).toBe(0);
      expect(otherMd5s).toEqual(ffmpegFrameMd5s(["-i", long.path]));
    },
    SEQ_TIMEOUT * 3,
  );
});

// SPDX-License-Identifier: BSD-2-Clause
// Eight clients decode at once, each a different codec or size, and every
// one of them gets libavcodec's frames bit for bit.
//
// To be sure the eight contexts really overlap, each ffmpeg is stopped
// (SIGSTOP) as soon as it has mapped the node's buffers, which it does only
// in the context it decodes with (its probe of the node maps nothing). Once
// all eight are stopped there, the kernel must count eight open contexts;
// then all eight resume together.
import { beforeAll, describe, expect, test } from "bun:test";
import type { Clip } from "../../scripts/lib/clips";
import { manyContextClips } from "../helpers/decode-clips";
import {
  connected,
  ffmpegFrameMd5s,
  inVm,
  liveContexts,
  mapsNode,
  nodes,
  spawnFfmpegFrameMd5s,
  startDaemon,
  waitFor,
} from "./helpers";

describe.skipIf(!inVm)("many contexts", () => {
  const clips: Clip[] = inVm ? manyContextClips() : [];

  beforeAll(async () => {
    if (!connected()) await startDaemon();
  }, 60_000);

  test(
    "8 simultaneous contexts with mixed codecs and sizes decode bit-exact",
    async () => {
      const video = nodes().video;
      const reference = clips.map((clip) => ffmpegFrameMd5s(["-i", clip.path]));
      for (const [i, clip] of clips.entries()) expect(reference[i]).toHaveLength(clip.frames);

      const clients = clips.map((clip) => spawnFfmpegFrameMd5s(["-c:v", `${clip.codec}_v4l2m2m`, "-i", clip.path]));
      const children = clients.map((c) => c.proc);
      try {
        const stopped = new Set<number>();
        await waitFor(
          "all eight clients to map the node's buffers",
          () => {
            for (const [i, c] of children.entries()) {
              if (stopped.has(i)) continue;
              if (c.exitCode !== null) throw new Error(`${clips[i]?.path} finished before the others started`);
              if (mapsNode(c.pid, video)) {
                c.kill("SIGSTOP");
                stopped.add(i);
              }
            }
            return stopped.size === children.length;
          },
          180_000,
        );
        expect(liveContexts()).toBe(children.length);
      } finally {
        for (const c of children) c.kill("SIGCONT");
      }

      const results = await Promise.all(clients.map((c) => c.done));
      for (const [i, clip] of clips.entries()) {
        const r = results[i];
        const label = `${clip.codec} ${clip.width}x${clip.height}`;
        expect(r?.code, `${label}: ${r?.err}`).toBe(0);
        expect(r?.md5s, label).toEqual(reference[i] ?? []);
      }
      console.log(`8 contexts at once: ${clips.map((c) => `${c.codec} ${c.width}x${c.height}`).join(", ")}: bit-exact`);
    },
    600_000,
  );
});

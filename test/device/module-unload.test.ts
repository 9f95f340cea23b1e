// SPDX-License-Identifier: BSD-2-Clause
// rmmod: refused while a client holds the video or media node, and clean
// once nothing does, even right after the daemon was killed in the middle
// of a stream. The module then loads again and decodes as before.
//
// The daemon's own handle on the bridge pins the module as well (a file's
// operations must outlive it): unloading means stopping the daemon first,
// as the test does. scripts/vm checks the kernel log of the whole run.
import { beforeAll, describe, expect, test } from "bun:test";
import { closeSync, existsSync, openSync } from "node:fs";
import { robustnessClips } from "../helpers/decode-clips";
import {
  BRIDGE,
  connected,
  exitedWithin,
  ffmpegFrameMd5s,
  inVm,
  mapsNode,
  nodes,
  run,
  startDaemon,
  stopDaemon,
  waitFor,
} from "./helpers";

const MODULE = "daedalus_v4l2";
/** How long ffmpeg may take to exit once the daemon is gone. */
const CLIENT_EXIT_MS = 20_000;
const loaded = () => existsSync(`/sys/module/${MODULE}`);

describe.skipIf(!inVm)("module unload", () => {
  const { long, check } = robustnessClips();

  beforeAll(async () => {
    if (!connected()) await startDaemon();
  }, 60_000);

  for (const which of ["video", "media"] as const) {
    test(`rmmod is refused while a client holds the ${which} node`, () => {
      const fd = openSync(nodes()[which], "r+");
      try {
        const r = run(["rmmod", MODULE]);
        expect(r.code).not.toBe(0);
        expect(r.err).toMatch(/in use/i);
        expect(loaded()).toBe(true);
      } finally {
        closeSync(fd);
      }
    });
  }

  test(
    "after the daemon dies mid-stream and its client exits, rmmod unloads; insmod brings back a working decoder",
    async () => {
      const ko = process.env.DAEDALUS_KO;
      if (!ko) throw new Error("DAEDALUS_KO is not set: run the device suite through scripts/vm");
      const video = nodes().video;
      const client = Bun.spawn(
        ["ffmpeg", "-nostdin", "-v", "error", "-c:v", "h264_v4l2m2m", "-i", long.path, "-f", "null", "-"],
        { stdout: "ignore", stderr: "pipe" },
      );
      await waitFor("the client to stream", () => mapsNode(client.pid, video), 120_000);
      const stderr = new Response(client.stderr).text();
      await stopDaemon("SIGKILL");
      // The document's fatal error: the client gets EIO and exits, not a
      // hang. A client still running is killed, so nothing of this test
      // outlives it to unload the module under the next one.
      const exited = await exitedWithin(client, CLIENT_EXIT_MS);
      if (!exited) client.kill("SIGKILL");
      expect(exited, `ffmpeg still running ${CLIENT_EXIT_MS} ms after the daemon died`).toBe(true);
      expect(client.exitCode).not.toBe(0);
      expect(await stderr).toContain("Input/output error");

      const rmmod = run(["rmmod", MODULE]);
      expect(rmmod.code, rmmod.err).toBe(0);
      expect(loaded()).toBe(false);
      expect(existsSync(BRIDGE)).toBe(false);

      const params = (process.env.DAEDALUS_MODULE_PARAMS ?? "").split(" ").filter(Boolean);
      const insmod = run(["insmod", ko, ...params]);
      expect(insmod.code, insmod.err).toBe(0);
      await startDaemon();
      expect(ffmpegFrameMd5s(["-c:v", "h264_v4l2m2m", "-i", check.path])).toEqual(
        ffmpegFrameMd5s(["-i", check.path]),
      );
    },
    300_000,
  );
});

// SPDX-License-Identifier: BSD-2-Clause
// `daedalusd probe FILE`: what the daemon's FFmpeg sees in a video file.
import { defineCommand } from "citty";
import { log } from "../log";
import { probeFile } from "../probe/probe";
import { formatReport } from "../probe/report";
import { AV_LOG, DD_PROBE_MAX_FRAMES, setFfmpegLogLevel } from "../shim/ffmpeg";
import { jsonArgs, logArgs, printResult } from "./_shared";

export default defineCommand({
  meta: {
    name: "probe",
    description: "Describe a video file's best video stream as daedalusd's FFmpeg sees it",
  },
  args: {
    ...logArgs,
    ...jsonArgs,
    file: { type: "positional", required: true, description: "Video file (container or elementary stream)" },
    blocks: {
      type: "boolean",
      description: "Decode the first frames and show their per-block QP (H.264 and VP9 only)",
    },
    frames: {
      type: "string",
      default: "1",
      valueHint: "n",
      description: `How many frames --blocks shows (1-${DD_PROBE_MAX_FRAMES})`,
    },
  },
  run({ args }) {
    const frames = Number(args.frames);
    if (!/^\d+$/.test(args.frames) || frames < 1 || frames > DD_PROBE_MAX_FRAMES) {
      log.error(`--frames must be an integer from 1 to ${DD_PROBE_MAX_FRAMES}, not "${args.frames}"`);
      process.exitCode = 2;
      return;
    }
    try {
      // FFmpeg's own messages about damaged data are summarised in the
      // report (decode_error); show them only when asked.
      setFfmpegLogLevel(args.verbose ? AV_LOG.warning : AV_LOG.fatal);
      log.debug(`probing ${args.file}${args.blocks ? ` with the QP of ${frames} frame(s)` : ""}`);
      const result = probeFile(args.file, { blocks: args.blocks ?? false, frames });
      printResult(args, result, () => formatReport(result));
    } catch (e) {
      log.error(e instanceof Error ? e.message : String(e));
      process.exitCode = 1;
    }
  },
});

// SPDX-License-Identifier: BSD-2-Clause
// `daedalusd decode FILE`: pushes a file through the decoder node as a V4L2
// client would and prints each frame's digest and the frame rate.
import { defineCommand } from "citty";
import { closeSync, openSync } from "node:fs";
import { decodeFile } from "../decode/decode-file";
import { ProgressBar } from "../decode/progress";
import { decodeJson, decodeReport } from "../decode/report";
import { log } from "../log";
import { PixFmt, type PixFmtName } from "../protocol/messages";
import { AV_LOG, setFfmpegLogLevel } from "../shim/ffmpeg";
import { findNodes } from "../status/read";
import { jsonArgs, logArgs, printResult } from "./_shared";

export default defineCommand({
  meta: {
    name: "decode",
    description: "Decode a video file through the decoder node and print each frame's MD5 and the frame rate",
  },
  args: {
    ...logArgs,
    ...jsonArgs,
    file: { type: "positional", required: true, description: "Video file (any container libavformat reads)" },
    device: { type: "string", alias: "d", valueHint: "/dev/videoN", description: "Decoder node (default: the daedalus-v4l2 one)" },
    format: {
      type: "string",
      alias: "f",
      valueHint: Object.keys(PixFmt).join("|"),
      description: "Frame format to ask the node for (default: the node's choice)",
    },
    frames: { type: "string", alias: "n", valueHint: "n", description: "Stop after n frames" },
    output: { type: "string", alias: "o", valueHint: "file", description: "Also write the frames, packed, to this file" },
  },
  run({ args }) {
    const pixfmt = args.format === undefined ? -1 : PixFmt[args.format as PixFmtName];
    if (pixfmt === undefined) {
      log.error(`--format must be one of ${Object.keys(PixFmt).join(", ")}, not "${args.format}"`);
      process.exitCode = 2;
      return;
    }
    const limit = args.frames === undefined ? 0 : Number(args.frames);
    if (!Number.isSafeInteger(limit) || limit < 0 || (args.frames !== undefined && !/^\d+$/.test(args.frames))) {
      log.error(`--frames must be a whole number, not "${args.frames}"`);
      process.exitCode = 2;
      return;
    }
    const node = args.device ?? findNodes().video;
    if (!node) {
      log.error("no daedalus-v4l2 decoder node: is the module loaded? (or name one with --device)");
      process.exitCode = 1;
      return;
    }

    setFfmpegLogLevel(args.verbose ? AV_LOG.warning : AV_LOG.fatal);
    const bar = process.stderr.isTTY && !args.quiet ? new ProgressBar(process.stderr, "decoding") : null;
    let outputFd: number | null = null;
    try {
      if (args.output) outputFd = openSync(args.output, "w");
      const result = decodeFile(args.file, {
        node,
        pixfmt,
        limit,
        stallMs: 10_000,
        outputFd,
        onProgress: (done, total, fps) => bar?.update(done, total, fps),
      });
      bar?.clear();
      printResult(args, decodeJson(args.file, node, result), () => decodeReport(args.file, node, result));
      if (result.damaged) log.warn(`${result.damaged} frame(s) came back flagged damaged (V4L2_BUF_FLAG_ERROR)`);
    } catch (e) {
      bar?.clear();
      log.error(e instanceof Error ? e.message : String(e));
      process.exitCode = 1;
    } finally {
      if (outputFd !== null) closeSync(outputFd);
    }
  },
});

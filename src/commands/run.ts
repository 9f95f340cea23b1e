// SPDX-License-Identifier: BSD-2-Clause
// `daedalusd run`: serve the kernel module until SIGTERM or SIGINT.
import { defineCommand } from "citty";
import { runBridge } from "../daemon/bridge";
import { Contexts } from "../daemon/contexts";
import { statelessCodecs } from "../daemon/stateless-policy";
import { loadConfig } from "../config";
import { log } from "../log";
import { Codec, codecMask, codecNames, PixFmt } from "../protocol/messages";
import { decoderMask, loadFfmpeg } from "../shim/ffmpeg";
import { statelessCodecMask } from "../shim/sl-worker";
import { VERSION } from "../version";
import { configArgs, logArgs } from "./_shared";

/** The codecs to announce: what libavcodec decodes, narrowed by the config. */
function offeredCodecs(allowed: readonly (keyof typeof Codec)[] | undefined): number {
  let mask = 0;
  try {
    loadFfmpeg();
    mask = decoderMask();
  } catch (err) {
    // Keep serving: the node then offers no codec, and says why in the log.
    log.error(`FFmpeg could not be loaded, no codec will be offered: ${(err as Error).message}`);
  }
  return allowed ? mask & codecMask(allowed) : mask;
}

export default defineCommand({
  meta: { name: "run", description: "Serve the daedalus-v4l2 kernel module (the daemon)" },
  args: { ...logArgs, ...configArgs },
  async run({ args }) {
    const config = loadConfig(args.config);
    const codecs = offeredCodecs(config.decoder.codecs);
    // Stateless requests: of what libavcodec decodes, the codecs the stateless worker rebuilds.
    const policy = statelessCodecs(config.stateless.codecs);
    if (policy.note) log.info(policy.note);
    const slCodecs = offeredCodecs(policy.codecs) & statelessCodecMask();
    log.info(
      `daedalusd ${VERSION} starting; decodes ${codecNames(codecs).join(" ") || "nothing"}` +
        `, stateless ${codecNames(slCodecs).join(" ") || "nothing"}`,
    );

    const stop = new AbortController();
    const onSignal = (sig: string) => {
      log.info(`${sig}: stopping`);
      stop.abort();
    };
    process.on("SIGTERM", () => onSignal("SIGTERM"));
    process.on("SIGINT", () => onSignal("SIGINT"));

    await runBridge(
      {
        path: config.bridge,
        reconnect: config.reconnect,
        contexts: (link) =>
          new Contexts({ bridgeFd: link.fd, threads: config.decoder.threads, send: link.send, started: link.started }),
        hello: {
          codecs,
          slCodecs,
          pixfmts: (1 << PixFmt.nv12) | (1 << PixFmt.yuv420) | (1 << PixFmt.p010),
          maxWidth: config.decoder.maxWidth,
          maxHeight: config.decoder.maxHeight,
          daemonVersion: VERSION,
        },
      },
      stop.signal,
    );
    log.info("stopped");
    // Workers still finishing a frame, and the pipe they write to, would keep the process up.
    process.exit(0);
  },
});

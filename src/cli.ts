#!/usr/bin/env bun
// SPDX-License-Identifier: BSD-2-Clause
// daedalusd: the userspace half of the daedalus-v4l2 video decoder.
import { defineCommand, runMain } from "citty";
import { logArgs } from "./commands/_shared";
import { setLogLevel } from "./log";
import { VERSION } from "./version";

export const main = defineCommand({
  meta: {
    name: "daedalusd",
    version: VERSION,
    description: "Userspace decoding daemon and tools for the daedalus-v4l2 V4L2 decoder",
  },
  // -v and -q set the log level here, once, for whichever command runs.
  args: logArgs,
  setup({ args }) {
    setLogLevel(args);
  },
  subCommands: {
    run: () => import("./commands/run").then((m) => m.default),
    status: () => import("./commands/status").then((m) => m.default),
    probe: () => import("./commands/probe").then((m) => m.default),
    decode: () => import("./commands/decode").then((m) => m.default),
    doctor: () => import("./commands/doctor").then((m) => m.default),
  },
});

/** Runs the command line: from here in a checkout, from src/exe.ts in the executable. */
export async function runCli(): Promise<void> {
  // A reader that goes away (`daedalusd status | head`) is not an error.
  process.stdout.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") process.exit(0);
    throw err;
  });
  await runMain(main);
}

if (import.meta.main) await runCli();

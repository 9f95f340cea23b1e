// SPDX-License-Identifier: BSD-2-Clause
// `daedalusd status`: is the module loaded, is a daemon connected, and the
// bridge's counters. Exit status 0 when a daemon serves the node, 1 otherwise.
import { defineCommand } from "citty";
import { readStatus } from "../status/read";
import { statusReport } from "../status/report";
import { jsonArgs, logArgs, printResult } from "./_shared";

export default defineCommand({
  meta: { name: "status", description: "Show the module's and the daemon's state and counters" },
  args: { ...logArgs, ...jsonArgs },
  run({ args }) {
    const status = readStatus();
    printResult(args, status, () => `${statusReport(status)}\n`);
    process.exitCode = status.bridge.connected ? 0 : 1;
  },
});

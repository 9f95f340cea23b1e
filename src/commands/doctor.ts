// SPDX-License-Identifier: BSD-2-Clause
// `daedalusd doctor`: checks everything the decoder needs and says how to
// fix what is wrong. Exit status 0 when clients can decode (warnings
// allowed), 1 when a check failed.
import { defineCommand } from "citty";
import { healthy, runChecks } from "../doctor/checks";
import { doctorReport } from "../doctor/report";
import { jsonArgs, logArgs, printResult } from "./_shared";

export default defineCommand({
  meta: { name: "doctor", description: "Check the module, nodes, FFmpeg, daemon and service, and say how to fix them" },
  args: { ...logArgs, ...jsonArgs },
  run({ args }) {
    const checks = runChecks();
    const ok = healthy(checks);
    printResult(args, { healthy: ok, checks }, () => doctorReport(checks));
    process.exitCode = ok ? 0 : 1;
  },
});

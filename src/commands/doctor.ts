// SPDX-License-Identifier: BSD-2-Clause
// `daedalusd doctor`: checks everything the decoder needs and says how to
// fix what is wrong. Exit status 0 when clients can decode (warnings
// allowed), 1 when a check failed.
import { defineCommand } from "citty";
import { type Check, healthy, runChecks } from "../doctor/checks";
import { setLogLevel } from "../log";
import { jsonArgs, logArgs, printJson } from "./_shared";

const MARK: Record<Check["verdict"], string> = { ok: "ok  ", warn: "warn", fail: "FAIL" };

function report(checks: Check[]): string {
  const width = Math.max(...checks.map((c) => c.title.length));
  const lines = checks.flatMap((c) => [
    `${MARK[c.verdict]}  ${c.title.padEnd(width)}  ${c.detail}`,
    ...(c.fix && c.verdict !== "ok" ? [`${" ".repeat(width + 8)}fix: ${c.fix}`] : []),
  ]);
  const fails = checks.filter((c) => c.verdict === "fail").length;
  const warns = checks.filter((c) => c.verdict === "warn").length;
  lines.push(
    fails ? `${fails} problem(s) keep clients from decoding${warns ? `, ${warns} warning(s)` : ""}` : `clients can decode${warns ? ` (${warns} warning(s))` : ""}`,
  );
  return `${lines.join("\n")}\n`;
}

export default defineCommand({
  meta: { name: "doctor", description: "Check the module, nodes, FFmpeg, daemon and service, and say how to fix them" },
  args: { ...logArgs, ...jsonArgs },
  run({ args }) {
    setLogLevel(args);
    const checks = runChecks();
    const ok = healthy(checks);
    if (args.json) printJson({ healthy: ok, checks });
    else process.stdout.write(report(checks));
    process.exitCode = ok ? 0 : 1;
  },
});

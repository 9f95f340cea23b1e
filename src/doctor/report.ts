// SPDX-License-Identifier: BSD-2-Clause
// `daedalusd doctor` as text: a verdict, a title and a detail per check,
// the fix under each that is not ok, and a last line that sums up.
import type { Check } from "./checks";

const MARK: Record<Check["verdict"], string> = { ok: "ok  ", warn: "warn", fail: "FAIL" };

export function doctorReport(checks: Check[]): string {
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

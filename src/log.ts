// SPDX-License-Identifier: BSD-2-Clause
// One logger for the daemon: one line per record on stderr. Under systemd
// (JOURNAL_STREAM set) each line starts with its syslog priority (<3> error,
// <4> warning, <6> info, <7> debug) so journald files it right; elsewhere the
// level is spelled out. consola's own reporters pad records over several
// lines when stderr is not a terminal, which journald would split.
import { createConsola, type ConsolaInstance, type LogObject } from "consola";
import { formatWithOptions } from "node:util";

const PRIORITY: Record<string, number> = {
  fatal: 2, error: 3, warn: 4, log: 6, info: 6, success: 6, ready: 6, start: 6, box: 6, debug: 7, trace: 7, verbose: 7,
};

function formatRecord(obj: LogObject, journald: boolean): string {
  const text = formatWithOptions({ breakLength: Number.POSITIVE_INFINITY }, ...obj.args).replace(/\n/g, " | ");
  const tag = obj.tag ? `${obj.tag}: ` : "";
  if (journald) return `<${PRIORITY[obj.type] ?? 6}>${tag}${text}`;
  return `${obj.type.padEnd(5)} ${tag}${text}`;
}

/** consola levels: 0 error, 1 warn, 3 info, 4 debug, 5 trace. */
export function levelFrom(opts: { verbose?: boolean; quiet?: boolean }): number {
  if (opts.quiet) return 0;
  if (opts.verbose) return 4;
  const env = process.env.CONSOLA_LEVEL;
  if (env !== undefined && /^-?\d+$/.test(env)) return Number(env);
  return 3;
}

export const log: ConsolaInstance = createConsola({
  level: levelFrom({}),
  reporters: [
    {
      log(obj) {
        process.stderr.write(`${formatRecord(obj, Boolean(process.env.JOURNAL_STREAM))}\n`);
      },
    },
  ],
});

export function setLogLevel(opts: { verbose?: boolean; quiet?: boolean }): void {
  log.level = levelFrom(opts);
}

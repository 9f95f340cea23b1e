// SPDX-License-Identifier: BSD-2-Clause
// Argument sets shared by every command, in the style of nuxt/cli.
import type { ArgsDef } from "citty";

export const logArgs = {
  verbose: { type: "boolean", alias: "v", description: "Log debug records" },
  quiet: { type: "boolean", alias: "q", description: "Log only errors" },
} as const satisfies ArgsDef;

export const jsonArgs = {
  json: { type: "boolean", description: "Write one JSON document to stdout (stable keys)" },
} as const satisfies ArgsDef;

export const configArgs = {
  config: {
    type: "string",
    alias: "c",
    description: "Config file (default /etc/daedalus-v4l2/daedalusd.json if present)",
  },
} as const satisfies ArgsDef;

/** Writes a value as JSON straight to stdout, bypassing the logger. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** A command's result on stdout: @json as one JSON document with --json, else @text (its report). */
export function printResult(args: { json?: boolean }, json: unknown, text: () => string): void {
  if (args.json) printJson(json);
  else process.stdout.write(text());
}

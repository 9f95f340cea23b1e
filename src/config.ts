// SPDX-License-Identifier: BSD-2-Clause
// daedalusd's configuration: a JSON file, validated strictly (an unknown key
// is an error, and every error names its path and what was expected).
import * as v from "valibot";
import { existsSync, readFileSync } from "node:fs";
import { Codec, MAX_DIMENSION, MIN_DIMENSION } from "./protocol/messages";
import { BRIDGE_DEVICE } from "./protocol/uapi";

export const DEFAULT_CONFIG_PATH = "/etc/daedalus-v4l2/daedalusd.json";

const dimension = v.pipe(v.number(), v.integer(), v.minValue(MIN_DIMENSION), v.maxValue(MAX_DIMENSION));
const ms = (min: number, max: number) => v.pipe(v.number(), v.integer(), v.minValue(min), v.maxValue(max));
const codecName = v.picklist(Object.keys(Codec) as (keyof typeof Codec)[]);

export const ConfigSchema = v.strictObject({
  /** The bridge device the daemon serves. */
  bridge: v.optional(v.pipe(v.string(), v.startsWith("/")), BRIDGE_DEVICE),
  /** Reconnection backoff when the bridge is missing or taken. */
  reconnect: v.optional(
    v.strictObject({
      initialMs: v.optional(ms(10, 60_000), 100),
      maxMs: v.optional(ms(10, 600_000), 5_000),
    }),
    {},
  ),
  decoder: v.optional(
    v.strictObject({
      /** Codecs to offer, of those the loaded libavcodec decodes; all by default. */
      codecs: v.optional(v.array(codecName)),
      /** Decoding threads per stream; 0 lets libavcodec choose. */
      threads: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(64)), 0),
      maxWidth: v.optional(dimension, 8192),
      maxHeight: v.optional(dimension, 8192),
    }),
    {},
  ),
  /** The stateless node (the module registers it unless loaded with stateless=0). */
  stateless: v.optional(
    v.strictObject({
      /**
       * Codecs to offer there, of those the daemon decodes statelessly; by
       * default all, but HEVC on a Raspberry Pi 5 (daemon/stateless-policy.ts).
       */
      codecs: v.optional(v.array(codecName)),
    }),
    {},
  ),
});
export type Config = v.InferOutput<typeof ConfigSchema>;

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

/** Validates a parsed config document. */
export function parseConfig(input: unknown, source = "config"): Config {
  const result = v.safeParse(ConfigSchema, input);
  if (!result.success) {
    const lines = result.issues.map((issue) => {
      const path = v.getDotPath(issue) ?? "(top level)";
      return `  ${path}: ${issue.message}`;
    });
    throw new ConfigError(`${source} is not valid:\n${lines.join("\n")}`);
  }
  return result.output;
}

/**
 * Loads the config: the file given, else the default path if it exists,
 * else the built-in defaults.
 */
export function loadConfig(path?: string): Config {
  const file = path ?? (existsSync(DEFAULT_CONFIG_PATH) ? DEFAULT_CONFIG_PATH : undefined);
  if (!file) return parseConfig({});
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new ConfigError(`cannot read ${file}: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`${file} is not JSON: ${(err as Error).message}`);
  }
  return parseConfig(doc, file);
}

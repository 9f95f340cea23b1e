// SPDX-License-Identifier: BSD-2-Clause
// The config file: defaults, strictness, and errors that say where and what.
import { describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, loadConfig, parseConfig } from "../src/config";

describe("config", () => {
  test("an empty document gives every default", () => {
    expect(parseConfig({})).toEqual({
      bridge: "/dev/daedalus-v4l2",
      reconnect: { initialMs: 100, maxMs: 5000 },
      decoder: { threads: 0, maxWidth: 8192, maxHeight: 8192 },
      stateless: {},
    });
  });

  test("values given are kept", () => {
    const c = parseConfig({ decoder: { codecs: ["h264", "vp9"], threads: 4 }, reconnect: { maxMs: 1000 } });
    expect(c.decoder.codecs).toEqual(["h264", "vp9"]);
    expect(c.decoder.threads).toBe(4);
    expect(c.reconnect).toEqual({ initialMs: 100, maxMs: 1000 });
    expect(parseConfig({ stateless: { codecs: ["h264"] } }).stateless.codecs).toEqual(["h264"]);
  });

  test("an unknown key is an error naming its path", () => {
    expect(() => parseConfig({ decoder: { thread: 2 } })).toThrow(/decoder\.thread/);
    expect(() => parseConfig({ brige: "/dev/x" })).toThrow(/brige/);
  });

  test("a wrong value names the path and what was expected", () => {
    const err = (() => {
      try {
        parseConfig({ decoder: { codecs: ["h264", "theora"], maxWidth: 5 } });
      } catch (e) {
        return e as Error;
      }
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect(err?.message).toMatch(/decoder\.codecs\.1: .*"h264"/);
    expect(err?.message).toMatch(/decoder\.maxWidth: .*>=16/);
  });

  test("loadConfig reads a file and reports unreadable or non-JSON files", () => {
    const dir = mkdtempSync(join(tmpdir(), "daedalus-config-"));
    const good = join(dir, "good.json");
    writeFileSync(good, JSON.stringify({ decoder: { threads: 2 } }));
    expect(loadConfig(good).decoder.threads).toBe(2);
    const broken = join(dir, "broken.json");
    writeFileSync(broken, "{ decoder: ");
    expect(() => loadConfig(broken)).toThrow(/broken\.json is not JSON/);
    expect(() => loadConfig(join(dir, "missing.json"))).toThrow(/cannot read .*missing\.json/);
  });
});

// SPDX-License-Identifier: BSD-2-Clause
// The TypeScript protocol must match the uAPI header byte for byte: a C
// program built against the header prints every size, offset and constant,
// and each is compared with src/protocol/messages.ts. The same program
// checks the structs the shim's V4L2 client shares with src/shim/v4l2-client.ts.
import { beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { flattenFields, type StructLayout } from "../src/protocol/layout";
import * as P from "../src/protocol/messages";
import { UAPI } from "../src/protocol/uapi";
import { BufFlag, SHIM_LAYOUTS } from "../src/shim/v4l2-client";

const ROOT = join(import.meta.dir, "..");
const HEADER = "kernel/include/uapi/linux/daedalus-v4l2.h";

/** The names the header defines, without DAEDALUS_. */
function headerDefines(): string[] {
  const text = readFileSync(join(ROOT, HEADER), "utf8");
  return [...text.matchAll(/^#define\s+DAEDALUS_(\w+)\b/gm)].map((m) => m[1] ?? "").sort();
}

/** C expressions to print, keyed by what the TypeScript side calls them. */
function cProgram(): string {
  const lines: string[] = [];
  for (const layout of [...P.LAYOUTS, ...SHIM_LAYOUTS]) {
    lines.push(`P("${layout.name}.sizeof", sizeof(struct ${layout.name}));`);
    for (const [path] of flattenFields(layout)) {
      lines.push(`P("${layout.name}.${path}", offsetof(struct ${layout.name}, ${path}));`);
      lines.push(`P("${layout.name}.${path}.size", sizeof(((struct ${layout.name} *)0)->${path}));`);
    }
  }
  const constants: Record<string, string> = {
    PROTO_MAGIC: "DAEDALUS_PROTO_MAGIC",
    PROTO_VERSION: "DAEDALUS_PROTO_VERSION",
    MSG_MAX_LEN: "DAEDALUS_MSG_MAX_LEN",
    MIN_DIMENSION: "DAEDALUS_MIN_DIMENSION",
    MAX_DIMENSION: "DAEDALUS_MAX_DIMENSION",
    VERSION_LEN: "DAEDALUS_VERSION_LEN",
    CODEC_COUNT: "DAEDALUS_CODEC_COUNT",
    PIXFMT_COUNT: "DAEDALUS_PIXFMT_COUNT",
    JOB_ERROR: "DAEDALUS_JOB_ERROR",
    FRAME_FLAGS_ALL: "DAEDALUS_FRAME_FLAGS_ALL",
    ERR_MAX: "DAEDALUS_ERR_MAX",
    ERROR_TEXT_LEN: "DAEDALUS_ERROR_TEXT_LEN",
  };
  for (const [name, macro] of Object.entries(constants)) lines.push(`P("const.${name}", ${macro});`);
  // Only what the header defines: a name it lacks fails its own test below, not the build.
  const defined = new Set(headerDefines());
  for (const [name, value] of Object.entries(UAPI)) {
    if (!defined.has(name)) continue;
    lines.push(typeof value === "string" ? `S("uapi.${name}", DAEDALUS_${name});` : `P("uapi.${name}", DAEDALUS_${name});`);
  }
  for (const name of Object.keys(P.MsgType)) lines.push(`P("type.${name}", DAEDALUS_MSG_${name});`);
  for (const name of Object.keys(P.Codec)) lines.push(`P("codec.${name}", DAEDALUS_CODEC_${name.toUpperCase()});`);
  for (const name of Object.keys(P.PixFmt)) lines.push(`P("pixfmt.${name}", DAEDALUS_PIXFMT_${name.toUpperCase()});`);
  for (const name of Object.keys(P.Queue)) lines.push(`P("queue.${name}", DAEDALUS_QUEUE_${name});`);
  for (const name of Object.keys(P.FrameFlag)) lines.push(`P("frame.${name}", DAEDALUS_FRAME_${name});`);
  for (const name of Object.keys(P.ErrorCode)) lines.push(`P("err.${name}", DAEDALUS_ERR_${name});`);
  for (const name of Object.keys(P.StartFlag)) lines.push(`P("start.${name}", DAEDALUS_START_${name});`);
  for (const name of Object.keys(P.SlFlag)) lines.push(`P("sl.${name}", DAEDALUS_SL_${name});`);
  for (const name of Object.keys(BufFlag)) lines.push(`P("buf.${name}", V4L2_BUF_FLAG_${name.toUpperCase()});`);
  return [
    "#include <stddef.h>",
    "#include <stdio.h>",
    "#include <time.h>",
    "#include <linux/daedalus-v4l2.h>",
    "#include <linux/videodev2.h>",
    '#include "demux.h"',
    '#include "v4l2-client.h"',
    '#define P(k, v) printf("%s %llu\\n", k, (unsigned long long)(v))',
    '#define S(k, v) printf("%s %s\\n", k, (const char *)(v))',
    "int main(void) {",
    ...lines.map((l) => `\t${l}`),
    "\treturn 0;",
    "}",
  ].join("\n");
}

let fromC: Map<string, number>;
/** The string definitions, as the C program printed them. */
let stringsFromC: Map<string, string>;

// A C build takes seconds on a busy machine, past bun's 5 s default for a hook.
beforeAll(() => {
  const dir = mkdtempSync(join(tmpdir(), "daedalus-layout-"));
  writeFileSync(join(dir, "layout.c"), cProgram());
  const cc = Bun.spawnSync(
    ["cc", "-std=gnu11", "-Wall", "-Werror", "-I", join(ROOT, "kernel/include/uapi"), "-I", join(ROOT, "c/common"), "-I", join(ROOT, "c/client"), "-o", join(dir, "layout"), join(dir, "layout.c")],
    { stderr: "pipe" },
  );
  if (cc.exitCode !== 0) throw new Error(`the layout program did not build against ${HEADER}:\n${cc.stderr}`);
  const run = Bun.spawnSync([join(dir, "layout")]);
  const printed = run.stdout.toString().trim().split("\n");
  stringsFromC = new Map(
    printed.map((line) => {
      const [key, value] = line.split(" ");
      return [key ?? "", value ?? ""] as const;
    }),
  );
  fromC = new Map(
    printed
      .map((line) => {
        const [key, value] = line.split(" ");
        return [key ?? "", Number(value)] as const;
      }),
  );
}, 60_000);

/** Every size and offset of @layout as the C compiler sees the struct. */
function expectSameLayout(layout: StructLayout): void {
  expect({ sizeof: layout.size }).toEqual({ sizeof: fromC.get(`${layout.name}.sizeof`) ?? -1 });
  for (const [path, { offset, size }] of flattenFields(layout)) {
    expect({ field: path, offset, size }).toEqual({
      field: path,
      offset: fromC.get(`${layout.name}.${path}`) ?? -1,
      size: fromC.get(`${layout.name}.${path}.size`) ?? -1,
    });
  }
}

describe(`protocol layout matches ${HEADER}`, () => {
  for (const layout of P.LAYOUTS) {
    test(`struct ${layout.name}`, () => expectSameLayout(layout));
  }

  test("constants, message types, codec and pixel format bits", () => {
    const ts: Record<string, number> = {
      "const.PROTO_MAGIC": P.PROTO_MAGIC,
      "const.PROTO_VERSION": P.PROTO_VERSION,
      "const.MSG_MAX_LEN": P.MSG_MAX_LEN,
      "const.MIN_DIMENSION": P.MIN_DIMENSION,
      "const.MAX_DIMENSION": P.MAX_DIMENSION,
      "const.VERSION_LEN": P.VERSION_LEN,
      "const.CODEC_COUNT": P.CODEC_COUNT,
      "const.PIXFMT_COUNT": P.PIXFMT_COUNT,
      "const.JOB_ERROR": P.JOB_ERROR,
      "const.FRAME_FLAGS_ALL": P.FRAME_FLAGS_ALL,
      "const.ERR_MAX": P.ERR_MAX,
      "const.ERROR_TEXT_LEN": P.ERROR_TEXT_LEN,
    };
    for (const [k, val] of Object.entries(P.MsgType)) ts[`type.${k}`] = val;
    for (const [k, val] of Object.entries(P.Codec)) ts[`codec.${k}`] = val;
    for (const [k, val] of Object.entries(P.PixFmt)) ts[`pixfmt.${k}`] = val;
    for (const [k, val] of Object.entries(P.Queue)) ts[`queue.${k}`] = val;
    for (const [k, val] of Object.entries(P.FrameFlag)) ts[`frame.${k}`] = val;
    for (const [k, val] of Object.entries(P.ErrorCode)) ts[`err.${k}`] = val;
    for (const [k, val] of Object.entries(P.StartFlag)) ts[`start.${k}`] = val;
    for (const [k, val] of Object.entries(P.SlFlag)) ts[`sl.${k}`] = val;
    const c = Object.fromEntries(Object.keys(ts).map((k) => [k, fromC.get(k)]));
    expect(ts).toEqual(c as Record<string, number>);
  });

  test("V4L2 buffer flags the decode command reads", () => {
    const ts: Record<string, number> = Object.fromEntries(Object.entries(BufFlag).map(([k, val]) => [`buf.${k}`, val]));
    expect(ts).toEqual(Object.fromEntries(Object.keys(ts).map((k) => [k, fromC.get(k)])) as Record<string, number>);
  });

  test("every DAEDALUS_ definition of the header is in src/protocol/uapi.ts, and nothing else", () => {
    expect(Object.keys(UAPI).sort()).toEqual(headerDefines());
  });

  test("each value in src/protocol/uapi.ts is the header's", () => {
    const ts: Record<string, number | string> = {};
    const c: Record<string, number | string | undefined> = {};
    for (const [name, value] of Object.entries(UAPI)) {
      ts[name] = value;
      c[name] = typeof value === "string" ? stringsFromC.get(`uapi.${name}`) : fromC.get(`uapi.${name}`);
    }
    expect(ts).toEqual(c as Record<string, number | string>);
  });

  test("every struct in the header is described on the TypeScript side", async () => {
    const text = await Bun.file(join(ROOT, HEADER)).text();
    const inHeader = [...text.matchAll(/^struct (daedalus_\w+) \{/gm)].map((m) => m[1]).sort();
    expect(inHeader).toEqual(P.LAYOUTS.map((l) => l.name).sort());
  });
});

describe("the shim's V4L2 client structs match c/client/demux.h and c/client/v4l2-client.h", () => {
  for (const layout of SHIM_LAYOUTS) {
    test(`struct ${layout.name}`, () => expectSameLayout(layout));
  }
});

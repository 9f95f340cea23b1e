// SPDX-License-Identifier: BSD-2-Clause
// The decoding contexts of one bridge connection, as the daemon's event
// loop sees them: their lifecycle. A START opens (or restarts) the
// context's worker and tells the shim's pump which worker now takes the
// context's JOB, CAPBUF, DRAIN and STOP, which go to it in C without
// passing through here (c/daemon/context-router.c); a CLOSE closes it. The
// workers write their JOB_DONE, FRAME, STREAM_INFO and ERROR to the bridge
// themselves (the kernel checks each); the copies of STREAM_INFO and ERROR
// they send here are checked and logged.
import { log } from "../log";
import {
  codecNames,
  decodeWorkerMessage,
  encodeError,
  ErrorCode,
  type ContextMessage,
  MessageSplitter,
  type Start,
  StartFlag,
  type WorkerMessage,
} from "../protocol/messages";
import { Decoder, type DecoderHandle, notifyPipe } from "../shim/decoder";
import { SlWorker } from "../shim/sl-worker";

const dlog = log.withTag("decode");

export interface ContextsOptions {
  bridgeFd: number;
  /** Decoding threads per context (0: libavcodec decides). */
  threads: number;
  /** Sends a message to the kernel. */
  send: (bytes: Uint8Array) => Promise<void>;
  /** Tells the pump which worker a START left the context with (null: none). */
  started: (ctxId: number, worker: DecoderHandle | null) => void;
}

/** Where the shared worker pipe's messages go: the live connection's contexts. */
let current: Contexts | undefined;
let reading = false;

async function readWorkers(): Promise<void> {
  const splitter = new MessageSplitter();
  for await (const chunk of Bun.file(notifyPipe().readFd).stream()) {
    for (const bytes of splitter.push(chunk)) {
      let m: WorkerMessage;
      try {
        m = decodeWorkerMessage(bytes);
      } catch (err) {
        dlog.error(`a worker sent a bad message: ${(err as Error).message}`);
        continue;
      }
      current?.fromWorker(m);
    }
  }
}

/** A context's worker, of either node. */
type Worker = Decoder | SlWorker;

export class Contexts {
  private readonly decoders = new Map<number, Worker>();

  constructor(private readonly opts: ContextsOptions) {
    current = this;
    if (!reading) {
      reading = true;
      readWorkers().catch((err) => dlog.error(`worker pipe failed: ${(err as Error).message}`));
    }
  }

  /** A context's START or CLOSE from the kernel. */
  handle(m: ContextMessage): void {
    const id = m.msg.hdr.ctx_id;
    if (m.type === "START") return this.start(id, m.msg);
    this.decoders.get(id)?.close();
    this.decoders.delete(id);
    dlog.debug(`context ${id} closed`);
  }

  /** Every START is answered to the pump, which holds the context's messages until then. */
  private start(id: number, m: Start): void {
    const codec = codecNames(1 << m.codec)[0] ?? `codec ${m.codec}`;
    const existing = this.decoders.get(id);
    if (existing) {
      existing.restart(m.codec, m.flags);
      dlog.debug(`context ${id} restarts (${codec}${m.flags & StartFlag.NEW_STREAM ? ", a new stream" : ""})`);
      this.opts.started(id, existing.handle);
      return;
    }
    const stateless = (m.flags & StartFlag.STATELESS) !== 0;
    let d: Worker | undefined;
    try {
      d = stateless
        ? SlWorker.open(id, m.codec, this.opts.threads, this.opts.bridgeFd)
        : Decoder.open(id, m.codec, this.opts.threads, this.opts.bridgeFd);
      this.decoders.set(id, d);
      dlog.info(`context ${id}: ${codec}${stateless ? " (stateless)" : ""}${m.width ? ` ${m.width}x${m.height}` : ""}`);
    } catch (err) {
      const why = `cannot start a ${codec} decoder: ${(err as Error).message}`;
      dlog.error(`context ${id}: ${why}`);
      this.opts.send(encodeError(id, ErrorCode.INTERNAL, why)).catch(() => {});
    }
    this.opts.started(id, d?.handle ?? null);
  }

  /** A checked copy of what a worker told the kernel, for the log. */
  fromWorker(m: WorkerMessage): void {
    const id = m.msg.hdr.ctx_id;
    if (!this.decoders.has(id)) return; // closed meanwhile: the kernel has forgotten it too
    switch (m.type) {
      case "STREAM_INFO":
        dlog.info(
          `context ${id}: ${m.msg.visible_width}x${m.msg.visible_height} ${m.msg.bit_depth}-bit, ` +
            `frame buffers ${m.msg.width}x${m.msg.height}, at least ${m.msg.min_buffers}`,
        );
        break;
      case "ERROR":
        dlog.error(`context ${id}: ${m.msg.text}`);
        break;
    }
  }

  /** The connection is gone, its pump stopped: every worker stops. */
  closeAll(): void {
    for (const d of this.decoders.values()) d.close();
    this.decoders.clear();
    if (current === this) current = undefined;
  }
}

// SPDX-License-Identifier: BSD-2-Clause
// The daemon's end of /dev/daedalus-v4l2: open it, say HELLO, answer the
// kernel's PINGs, and when the bridge goes away (module unloaded, another
// daemon holding it, a protocol fault) open it again with backoff.
//
// The bridge fd is non-blocking and read by the shim's pump thread, which
// hands each context's buffer messages to its worker in C; the rest arrive
// here through a pipe read as a stream, so the event loop never waits in a
// system call. What is done with a context's START and CLOSE is the
// business of the handler the caller gives (daemon/contexts.ts).
import type { Pointer } from "bun:ffi";
import { constants } from "node:os";
import { log } from "../log";
import {
  codecNames,
  type ContextMessage,
  decodeKernelMessage,
  encodeHello,
  encodePing,
  type HelloFields,
  type KernelMessage,
  MessageSplitter,
  pixFmtNames,
  ProtocolError,
  type Welcome,
} from "../protocol/messages";
import * as sys from "../shim/sys";

/** What a connection offers the handler of its contexts. */
export interface BridgeLink {
  /** The open bridge, for the workers to write their replies to. */
  readonly fd: number;
  /** Sends one message to the kernel. */
  send(bytes: Uint8Array): Promise<void>;
  /** After a START: which worker (null: none) takes the context's messages from now on. */
  started(ctxId: number, worker: Pointer | null): void;
}

/** The contexts of one connection: their START and CLOSE. */
export interface ContextHandler {
  handle(m: ContextMessage): void;
  /** The connection is gone and its pump stopped. */
  closeAll(): void;
}

export interface BridgeOptions {
  path: string;
  hello: HelloFields;
  reconnect: { initialMs: number; maxMs: number };
  /** How long the kernel may take to answer HELLO. */
  helloTimeoutMs?: number;
  /** Makes the handler of a new connection's contexts. */
  contexts: (link: BridgeLink) => ContextHandler;
  onConnected?: (welcome: Welcome) => void;
}

const blog = log.withTag("bridge");
const { ENOENT } = constants.errno;

/** Resolves after @ms, or at once when @signal aborts. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

/** Why an open failed, in words a user can act on. */
function explainOpenError(path: string, err: unknown): string {
  if (err instanceof sys.SysError) {
    switch (err.code) {
      case "ENOENT":
        return `${path} does not exist: is the daedalus_v4l2 module loaded?`;
      case "EBUSY":
        return `${path} is held by another daemon`;
      case "EACCES":
      case "EPERM":
        return `no permission to open ${path}`;
    }
  }
  return `cannot open ${path}: ${(err as Error).message}`;
}

class Connection {
  private seq = 0;
  private welcome: PromiseWithResolvers<Welcome> = Promise.withResolvers<Welcome>();
  private readonly contexts: ContextHandler;
  /** The running pump, while it runs. */
  private pump: sys.Pump | undefined;

  constructor(
    readonly fd: number,
    private readonly opts: BridgeOptions,
  ) {
    this.contexts = opts.contexts({
      fd,
      send: (b) => this.send(b),
      started: (ctxId, worker) => this.started(ctxId, worker),
    });
  }

  private started(ctxId: number, worker: Pointer | null): void {
    if (!this.pump) return; // stopped: the workers are being closed
    const r = sys.pumpStarted(this.pump, ctxId, worker);
    // ENOENT: closed meanwhile; its CLOSE follows and closes the worker.
    if (r < 0 && -r !== ENOENT) throw new sys.SysError(`context ${ctxId}: hand its messages to its worker`, r);
  }

  /** Sends one message; waits out a full kernel queue briefly. */
  private async send(bytes: Uint8Array): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const r = sys.tryWrite(this.fd, bytes);
      if (r === bytes.length) return;
      if (r >= 0) throw new ProtocolError(`short write: ${r} of ${bytes.length} bytes`);
      const err = new sys.SysError("write to the bridge", r);
      if (err.code !== "EAGAIN" || attempt >= 100) throw err;
      await Bun.sleep(5);
    }
  }

  private handle(m: KernelMessage): Promise<void> | undefined {
    switch (m.type) {
      case "WELCOME":
        this.welcome.resolve(m.msg);
        return undefined;
      case "PING":
        return this.send(encodePing("PONG", m.msg.hdr.seq, m.msg.cookie));
      case "PONG":
        blog.debug(`unsolicited PONG seq ${m.msg.hdr.seq}`);
        return undefined;
      case "START":
      case "CLOSE":
        this.contexts.handle(m);
        return undefined;
      default:
        // The pump hands every other context message to its worker.
        throw new ProtocolError(`the pump passed on a ${m.type}`);
    }
  }

  /** Serves until the bridge fails or @signal aborts; throws on faults. */
  async serve(signal: AbortSignal): Promise<void> {
    const pump = sys.pumpStart(this.fd);
    this.pump = pump;
    let ended: { error: number; why: string } | undefined;
    const stop = () => {
      this.pump = undefined;
      ended ??= sys.pumpStop(pump);
      return ended;
    };
    const onAbort = () => stop();
    signal.addEventListener("abort", onAbort, { once: true });
    const timeout = setTimeout(
      () => this.welcome.reject(new ProtocolError("no WELCOME in answer to HELLO")),
      this.opts.helloTimeoutMs ?? 2000,
    );
    this.welcome.promise.then(
      (w) => {
        clearTimeout(timeout);
        blog.info(
          `connected: module ${w.module_version}, codecs ${codecNames(w.codecs).join(" ") || "none"}, ` +
            `formats ${pixFmtNames(w.pixfmts).join(" ")}, up to ${w.max_width}x${w.max_height}`,
        );
        this.opts.onConnected?.(w);
      },
      () => {},
    );

    let failure: unknown;
    const reader = (async () => {
      const splitter = new MessageSplitter();
      for await (const chunk of Bun.file(pump.readFd).stream()) {
        for (const bytes of splitter.push(chunk)) await this.handle(decodeKernelMessage(bytes));
      }
    })();
    try {
      await this.send(encodeHello(++this.seq, this.opts.hello));
      await Promise.race([this.welcome.promise, reader]);
      await reader;
    } catch (err) {
      failure = err;
    } finally {
      clearTimeout(timeout);
      signal.removeEventListener("abort", onAbort);
      // The pump first: it hands messages to the workers closed next.
      const end = stop();
      this.contexts.closeAll();
      try {
        sys.close(pump.readFd);
      } catch {
        // The stream may have closed it already.
      }
      if (!failure && end.error < 0 && !signal.aborted) {
        failure = end.why ? new ProtocolError(end.why) : new sys.SysError("bridge read", end.error);
      }
    }
    if (failure && !signal.aborted) throw failure;
  }
}

/** Runs the bridge until @signal aborts, reconnecting as needed. */
export async function runBridge(opts: BridgeOptions, signal: AbortSignal): Promise<void> {
  let delay = opts.reconnect.initialMs;
  let lastProblem = "";
  while (!signal.aborted) {
    let fd: number | undefined;
    try {
      fd = sys.open(opts.path, sys.OPEN_NONBLOCK);
    } catch (err) {
      const problem = explainOpenError(opts.path, err);
      // The first of a run of identical failures is a warning, the rest noise.
      if (problem !== lastProblem) blog.warn(`${problem}; retrying`);
      else blog.debug(`${problem}; retrying in ${delay} ms`);
      lastProblem = problem;
    }
    if (fd !== undefined) {
      lastProblem = "";
      const conn = new Connection(fd, {
        ...opts,
        onConnected: (w) => {
          delay = opts.reconnect.initialMs;
          opts.onConnected?.(w);
        },
      });
      try {
        await conn.serve(signal);
        if (!signal.aborted) blog.warn("the bridge closed; reconnecting");
      } catch (err) {
        blog.error(`bridge failure: ${(err as Error).message}; reconnecting`);
      } finally {
        sys.close(fd);
      }
    }
    await sleep(delay, signal);
    delay = Math.min(delay * 2, opts.reconnect.maxMs);
  }
}

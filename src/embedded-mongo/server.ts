// TCP server speaking the MongoDB wire protocol. Each connection processes its messages in
// order; every command runs synchronously on the event loop, so replies leave as soon as the
// command (and its SQLite transaction) completes.
import net from 'node:net';
import { inspect } from 'node:util';
import type { Engine } from './engine';
import { runCommand } from './commands/dispatch';
import { MongoCommandError } from './errors';
import { ProtocolError, encodeReply, parseMessage } from './wire';

/** Above the driver's maxMessageSizeBytes (48,000,000) plus headroom; larger frames are hostile. */
const MAX_FRAME = 64 * 1024 * 1024;

/** EMBEDDED_MONGO_TRACE=1 logs every command and reply to stderr (debugging aid). */
const TRACE = process.env.EMBEDDED_MONGO_TRACE === '1';
/**
 * EMBEDDED_MONGO_STATS=1 prints, at exit, the server-side time per command name: how much of a
 * client's latency is the engine's (the rest is the driver, Mongoose and the network).
 */
const STATS = process.env.EMBEDDED_MONGO_STATS === '1' ? new Map<string, [calls: number, ms: number]>() : undefined;
if (STATS) {
  process.on('exit', () => {
    for (const [name, [calls, ms]] of STATS) process.stderr.write(`[embedded-mongo] ${name}: ${calls} calls, ${ms.toFixed(0)} ms, ${(ms / calls).toFixed(3)} ms each\n`);
  });
}

export class WireServer {
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private nextConnectionId = 1;

  constructor(private readonly engine: Engine) {
    this.server = net.createServer((socket) => this.accept(socket));
  }

  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve((this.server.address() as net.AddressInfo).port);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      for (const s of this.sockets) s.destroy();
      this.sockets.clear();
      this.server.close(() => resolve());
    });
  }

  private accept(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.setNoDelay(true);
    const connection = { id: this.nextConnectionId++, remote: `${socket.remoteAddress}:${socket.remotePort}` };
    // Chunks are kept in a list and joined once a whole frame is there: joining on every
    // chunk would copy a 40 MB insertMany message hundreds of times.
    let chunks: Buffer[] = [];
    let buffered = 0;
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      buffered += chunk.length;
      while (buffered >= 4) {
        const head = chunks[0].length >= 4 ? chunks[0] : Buffer.concat(chunks);
        const size = head.readInt32LE(0);
        if (size < 16 || size > MAX_FRAME) {
          socket.destroy();
          return;
        }
        if (buffered < size) return;
        const all = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, buffered);
        const frame = all.subarray(0, size);
        const rest = all.subarray(size);
        chunks = rest.length > 0 ? [rest] : [];
        buffered = rest.length;
        this.handle(socket, frame, connection);
      }
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.sockets.delete(socket));
  }

  private handle(socket: net.Socket, frame: Buffer, connection: { id: number; remote: string }): void {
    if (!STATS) {
      this.process(socket, frame, connection);
      return;
    }
    const t0 = process.hrtime.bigint();
    this.process(socket, frame, connection);
    // The command name is the first key of the OP_MSG body (offset 26: header, flags, kind, size, type).
    const name = frame.readInt32LE(12) === 2013 && frame[20] === 0 ? frame.toString('utf8', 26, frame.indexOf(0, 26)) : 'OP_QUERY';
    const cur = STATS.get(name) ?? [0, 0];
    cur[0]++;
    cur[1] += Number(process.hrtime.bigint() - t0) / 1e6;
    STATS.set(name, cur);
  }

  private process(socket: net.Socket, frame: Buffer, connection: { id: number; remote: string }): void {
    let msg;
    try {
      msg = parseMessage(frame);
    } catch (err) {
      if (err instanceof ProtocolError) {
        socket.destroy();
        return;
      }
      // A body that is not valid BSON: answer like mongod instead of dropping the connection.
      const requestId = frame.readInt32LE(4);
      send(socket, encodeReply(requestId, new MongoCommandError('FailedToParse', `invalid BSON: ${(err as Error).message}`).toReply(), false));
      return;
    }
    const reply = runCommand(this.engine, msg.body, connection, msg.raw);
    if (TRACE) process.stderr.write(`[embedded-mongo] ${inspect(msg.body, { depth: 6, breakLength: Infinity })}\n  -> ${inspect(reply, { depth: 6, breakLength: Infinity })}\n`);
    if (msg.moreToCome) return; // the client asked for no reply (e.g. endSessions with w:0)
    if (!socket.destroyed) send(socket, encodeReply(msg.header.requestId, reply, msg.legacy));
  }
}

function send(socket: net.Socket, [head, body]: [Buffer, Buffer]): void {
  socket.cork();
  socket.write(head);
  socket.write(body);
  socket.uncork();
}

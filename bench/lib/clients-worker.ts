/**
 * A share of the benchmark's `/live` clients, in a process of its own:
 * supervisor dashboards (scope `floor`) on the websocket transport, each with
 * its own connection. Every delta's agent views are scanned for the send
 * time the producer put in `reason`; the latency goes into a histogram that
 * the bench process collects over IPC.
 *
 * Commands (see `WorkerCommand`): connect, reset, report, close.
 */
import { io as ioClient, type Socket } from 'socket.io-client';
import { LatencyHistogram, MARK_MEASURED, nowMs, type WorkerCommand, type WorkerMessage } from './fresh-proto.ts';
import { rawDeltaParser } from './clients-parser.ts';

/** The `/live` events as this worker's parser hands them over: raw JSON text (see clients-parser.ts). */
interface RawLiveEvents {
  'live:snapshot': (raw: string) => void;
  'live:delta': (raw: string) => void;
}
type LiveSocket = Socket<RawLiveEvents, Record<string, never>>;

/** The producer's send time inside an agent view of a delta. */
const MARKER = new RegExp(`"reason":"${MARK_MEASURED}([0-9.]+)"`, 'g');

const sockets: LiveSocket[] = [];
const hist = new LatencyHistogram();
let deltas = 0;
let disconnects = 0;

function send(m: WorkerMessage): void {
  process.send?.(m);
}

function onDelta(raw: string): void {
  const at = nowMs();
  deltas++;
  for (const m of raw.matchAll(MARKER)) hist.add(at - Number(m[1]));
}

/** Opens one client; resolves true once its snapshot arrived, false on a refused or failed connection. */
function openOne(url: string, token: string): Promise<{ ok: true } | { ok: false; error: string }> {
  return new Promise((resolve) => {
    const socket: LiveSocket = ioClient(`${url}/live`, {
      transports: ['websocket'],
      forceNew: true,
      reconnection: false,
      timeout: 60_000,
      parser: rawDeltaParser,
      auth: { token, scope: 'floor' },
    });
    const timer = setTimeout(() => resolve({ ok: false, error: 'no snapshot within 60 s' }), 60_000);
    socket.once('live:snapshot', () => {
      clearTimeout(timer);
      sockets.push(socket);
      resolve({ ok: true });
    });
    socket.on('live:delta', onDelta);
    socket.on('disconnect', () => disconnects++);
    socket.once('connect_error', (err) => {
      clearTimeout(timer);
      socket.close();
      resolve({ ok: false, error: err.message });
    });
  });
}

async function connect(url: string, token: string, count: number, batch: number): Promise<void> {
  let failed = 0;
  let firstError: string | undefined;
  // Ramp in batches: a few hundred handshakes at once, not thousands.
  for (let i = 0; i < count; i += batch) {
    const n = Math.min(batch, count - i);
    const got = await Promise.all(Array.from({ length: n }, () => openOne(url, token)));
    for (const g of got) {
      if (!g.ok) {
        failed++;
        firstError ??= g.error;
      }
    }
  }
  send({ type: 'connected', connected: sockets.length, failed, ...(firstError ? { firstError } : {}) });
}

function closeAll(): void {
  for (const s of sockets) s.close();
  sockets.length = 0;
}

process.on('message', (m: WorkerCommand) => {
  switch (m.type) {
    case 'connect':
      void connect(m.url, m.token, m.count, m.batch);
      break;
    case 'reset':
      hist.clear();
      deltas = 0;
      disconnects = 0;
      send({ type: 'reset-done' });
      break;
    case 'report':
      send({ type: 'report', buckets: hist.sparse(), count: hist.count, maxMs: hist.maxMs, deltas, connected: sockets.length, disconnects });
      break;
    case 'close':
      closeAll();
      hist.clear();
      send({ type: 'reset-done' });
      break;
  }
});
send({ type: 'ready' });
// The bench process went away: nothing left to measure for.
process.on('disconnect', () => {
  closeAll();
  process.exit(0);
});

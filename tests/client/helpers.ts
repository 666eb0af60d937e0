/**
 * What the happy-dom component tests share: a socket stand-in for the live client, and each test's
 * start (fake timers at a fixed time, a fresh Pinia, English, the stand-in routed to the live client)
 * and end.
 */
import { vi } from 'vitest';
import { createPinia, setActivePinia } from 'pinia';
import { useConnectionStore, type LiveSocketLike } from '../../client/src/stores/connection.ts';
import { routeTo } from '../../client/src/live.ts';
import { i18n } from '../../client/src/i18n/index.ts';
import type { Ack, Snapshot } from '../../shared/wire.ts';

/** A socket stand-in: lets the test fire server events and answer resync requests. */
export class FakeSocket implements LiveSocketLike {
  handlers = new Map<string, (arg: never) => void>();
  resyncRequests: ((r: Ack<Snapshot>) => void)[] = [];
  on(event: string, fn: (arg: never) => void) {
    this.handlers.set(event, fn);
    return this;
  }
  emit(_event: 'live:resync', ack: (r: Ack<Snapshot>) => void) {
    this.resyncRequests.push(ack);
    return this;
  }
  fire(event: string, arg?: unknown) {
    this.handlers.get(event)?.(arg as never);
  }
}

/** For a beforeEach: fake timers at `nowMs`, a fresh Pinia, English, and a new stand-in socket routed to the live client. */
export function startLiveClient(nowMs: number): FakeSocket {
  vi.useFakeTimers();
  vi.setSystemTime(nowMs);
  setActivePinia(createPinia());
  i18n.global.locale.value = 'en';
  const socket = new FakeSocket();
  routeTo(socket);
  return socket;
}

/** For an afterEach: the connection store reset and real timers back. */
export function stopLiveClient(): void {
  useConnectionStore().reset();
  vi.useRealTimers();
}

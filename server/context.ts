/** What route modules get from `createServer`: no globals, everything passed in. */
import type { Express, NextFunction, Request, Response } from 'express';
import type { FloorConfig } from '../shared/config.ts';
import type { FloorEvent } from '../shared/events.ts';
import type { FloorState } from '../shared/state.ts';
import type { AuthStore } from './auth/store.ts';
import type { Principal } from './auth/principal.ts';
import type { LogStore } from './log/store.ts';
import type { LiveHub } from './live.ts';

/** `Omit` that keeps a union a union: one new-event shape per event type. */
export type NewEvent = FloorEvent extends unknown ? (FloorEvent extends infer E ? (E extends FloorEvent ? Omit<E, 'id' | 'at'> : never) : never) : never;

export type Middleware = (req: Request, res: Response, next: NextFunction) => unknown;

export interface RouteContext {
  app: Express;
  auth: AuthStore;
  log: LogStore;
  clock: { now(): number };
  logger: Pick<Console, 'info' | 'warn' | 'error'>;
  principalOf: (req: Request) => Principal | undefined;
  requireSupervisor: Middleware;
  requireAdmin: Middleware;
  record: (events: NewEvent[]) => Promise<FloorEvent[]>;
  state: () => FloorState;
  hub: LiveHub;
  engineNow: () => number;
  secureCookies: boolean;
  setConfig: (config: FloorConfig, actor: string) => Promise<void>;
}

/** The principal a `require…` middleware put on the response. */
export function actor(res: Response): Principal {
  return res.locals.principal as Principal;
}

/** Quotes a CSV field when it needs it, and defuses spreadsheet formulas. */
export function csvField(v: unknown): string {
  let s = v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(header: string[], rows: unknown[][]): string {
  return [header, ...rows].map((r) => r.map(csvField).join(',')).join('\r\n') + '\r\n';
}

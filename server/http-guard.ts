/**
 * The HTTP edge against other sites: security headers (helmet), an Origin check on
 * every state-changing request and every socket.io handshake, and JSON bodies only
 * with a JSON content type.
 *
 * Origin rule: a request that names where it comes from (Origin, or lacking it,
 * Referer) must come from this floor (the host the request was sent to: Host, or
 * X-Forwarded-Host from a trusted proxy) or from an origin on `--allowed-origins`;
 * anything else, including `Origin: null`, is refused with 403. A request naming
 * neither passes: every current browser sends Origin with a cross-origin POST, PUT,
 * PATCH or DELETE and with every WebSocket and cross-origin XHR handshake, so such a
 * request is a script, curl or a server (which still needs a token or a session).
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import helmet from 'helmet';

/** express's `trust proxy` setting as Floorwatch accepts it: off, a hop count, or addresses, subnets and express's names. */
export type TrustProxy = false | number | string[];

const PROXY_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

/**
 * Reads `--trust-proxy`: `off` (default), a number of proxy hops, or a comma-separated
 * list of proxy addresses or subnets and the names loopback, linklocal, uniquelocal.
 * Throws on `on`/`true` (trusting every hop lets any client name its own address).
 */
export function parseTrustProxy(text: string | undefined): TrustProxy {
  const v = (text ?? '').trim();
  if (v === '' || ['off', 'false', 'no', '0'].includes(v.toLowerCase())) return false;
  if (/^\d+$/.test(v)) return Number(v);
  if (['on', 'true', 'yes'].includes(v.toLowerCase())) {
    throw new Error(`--trust-proxy: say which proxies to trust (e.g. loopback, 10.0.0.0/8, or a hop count such as 1); "${v}" would let any client choose its own address`);
  }
  const items = v.split(',').map((s) => s.trim()).filter(Boolean);
  for (const item of items) {
    if (!PROXY_NAMES.includes(item) && !/^[0-9a-fA-F:.]+(\/\d{1,3})?$/.test(item)) {
      throw new Error(`--trust-proxy: "${item}" is neither an address, a subnet, a hop count nor one of ${PROXY_NAMES.join(', ')}`);
    }
  }
  return items;
}

/** An origin as browsers send it (`scheme://host[:port]`, default port dropped); throws on anything with a path or no host. */
export function normalizeOrigin(text: string): string {
  let u: URL;
  try {
    u = new URL(text.trim());
  } catch {
    throw new Error(`--allowed-origins: "${text}" is not an origin such as https://wall.example.com`);
  }
  if (!['http:', 'https:'].includes(u.protocol) || !u.host || (u.pathname !== '/' && u.pathname !== '') || u.search || u.hash || u.username) {
    throw new Error(`--allowed-origins: "${text}" is not an origin such as https://wall.example.com (scheme, host and port only)`);
  }
  return u.origin;
}

export interface GuardOptions {
  /** Origins besides the floor's own that may send state-changing requests and open sockets (normalised, see {@link normalizeOrigin}). */
  allowedOrigins: readonly string[];
  /** Behind HTTPS: adds HSTS and upgrade-insecure-requests. */
  secure: boolean;
  /** express's compiled `trust proxy` function (`app.get('trust proxy fn')`): may X-Forwarded-Host from this address be believed? */
  trusts: (addr: string, hop: number) => boolean;
  /** Inline `<script>`/`<style>` bodies of pages this server writes itself (the fallback page), allowed by hash. */
  inlineScripts?: readonly string[];
  inlineStyles?: readonly string[];
}

/** The host (and port) the request was sent to: X-Forwarded-Host from a trusted proxy, else Host; lower case. */
export function requestHost(req: IncomingMessage, trusts: GuardOptions['trusts']): string | undefined {
  const fwd = req.headers['x-forwarded-host'];
  const remote = req.socket.remoteAddress ?? '';
  if (typeof fwd === 'string' && fwd && trusts(remote, 0)) return fwd.split(',')[0].trim().toLowerCase();
  return req.headers.host?.toLowerCase();
}

function sameHost(origin: URL, host: string): boolean {
  try {
    // Host as the origin's scheme would write it: "x:443" and "x" are the same https host.
    return new URL(`${origin.protocol}//${host}`).host === origin.host;
  } catch {
    return false;
  }
}

/**
 * Why a request from a browser page elsewhere is refused, or undefined when it may
 * pass (see the module's rule). Looks at Origin, then Referer.
 */
export function crossSiteRefusal(req: IncomingMessage, o: Pick<GuardOptions, 'allowedOrigins' | 'trusts'>): string | undefined {
  const origin = req.headers.origin;
  const referer = req.headers.referer;
  const named = typeof origin === 'string' && origin !== '' ? { text: origin, what: 'origin' } : typeof referer === 'string' && referer !== '' ? { text: referer, what: 'referer' } : undefined;
  if (!named) return undefined;
  let u: URL;
  try {
    u = new URL(named.text);
  } catch {
    return `cross-site request refused: ${named.what} "${named.text.slice(0, 100)}" is not a URL`;
  }
  if (u.origin !== 'null' && o.allowedOrigins.includes(u.origin)) return undefined;
  const host = requestHost(req, o.trusts);
  if (u.origin !== 'null' && host && sameHost(u, host)) return undefined;
  return `cross-site request refused: ${named.what} ${u.origin} is not this floor's (same host, or one of --allowed-origins)`;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const JSON_TYPE = /^application\/([\w.-]+\+)?json\s*(;|$)/i;
/** Bearer-token ingest keeps its own parser and its documented 400 for a non-JSON body. */
const OWN_PARSER = new Set(['/api/events']);

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

/** Inline `<script>` (without `src`) and `<style>` bodies of an HTML page, for {@link GuardOptions} hashes. */
export function inlineParts(html: string): { scripts: string[]; styles: string[] } {
  return {
    scripts: [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]),
    styles: [...html.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((m) => m[1]),
  };
}

/**
 * Express middlewares for the whole app, in order: helmet's headers (CSP with
 * `frame-ancestors 'none'`, X-Frame-Options DENY, nosniff, `Referrer-Policy:
 * no-referrer`; HSTS only when `secure`), then the Origin check (403) and the JSON
 * content type check (415) on POST, PUT, PATCH and DELETE.
 */
export function httpGuard(o: GuardOptions): RequestHandler[] {
  const headers = helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        baseUri: ["'self'"],
        scriptSrc: ["'self'", ...(o.inlineScripts ?? []).map(sha256)],
        scriptSrcAttr: ["'none'"],
        styleSrc: ["'self'", ...(o.inlineStyles ?? []).map(sha256)],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'", 'data:'],
        // 'self' covers the page's own ws:// and wss:// (CSP Level 3).
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        upgradeInsecureRequests: o.secure ? [] : null,
      },
    },
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    strictTransportSecurity: o.secure ? { maxAge: 180 * 86_400 } : false,
  });
  const origin = (req: Request, res: Response, next: NextFunction) => {
    if (SAFE_METHODS.has(req.method)) return next();
    const refused = crossSiteRefusal(req, o);
    if (refused) return res.status(403).json({ ok: false, error: refused });
    next();
  };
  const contentType = (req: Request, res: Response, next: NextFunction) => {
    if (SAFE_METHODS.has(req.method) || OWN_PARSER.has(req.path)) return next();
    const type = req.headers['content-type'];
    const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
    if (type === undefined ? hasBody : !JSON_TYPE.test(type)) {
      return res.status(415).json({ ok: false, error: `a request body must be JSON with Content-Type: application/json${type ? `, not ${type.slice(0, 100)}` : ''}` });
    }
    next();
  };
  return [headers, origin, contentType];
}

/**
 * For socket.io's `allowRequest` (engine.io handshakes, every namespace): the reason
 * a handshake from another site is refused, or undefined to let it through.
 */
export function handshakeRefusal(req: IncomingMessage, o: Pick<GuardOptions, 'allowedOrigins' | 'trusts'>): string | undefined {
  return crossSiteRefusal(req, o);
}

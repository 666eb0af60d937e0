/**
 * The HTTP edge: which proxies to believe (`--trust-proxy`), for the client
 * address the sign-in throttle keys on.
 */
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

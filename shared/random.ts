/**
 * A small seeded pseudo-random generator for the simulator, the benchmarks'
 * generated files and the fault tests: the same seed gives the same sequence
 * on every machine. Pure: no clock, no I/O.
 */

/**
 * mulberry32 (Tommy Ettinger's 32-bit generator): returns a function giving
 * numbers uniform in [0, 1), determined by `seed` (taken as an unsigned 32-bit integer).
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

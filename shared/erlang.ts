/**
 * Erlang C staffing maths: how many agents a queue needs to answer a share of
 * its callers within T seconds, given the arrival rate and the average handle
 * time. Pure, no I/O; units in the names (`ahtSec`, `periodSec`, `…Pct`).
 *
 * The model (M/M/N, callers wait and never abandon) and its formulas, as in
 * N. Gans, G. Koole, A. Mandelbaum, "Telephone call centers: tutorial, review,
 * and research prospects", Manufacturing & Service Operations Management 5(2),
 * 2003, §4.1, with A = λ·AHT the offered traffic in Erlangs and N agents:
 *
 * - P(wait) = C(N, A), the Erlang C formula (A. K. Erlang, 1917);
 * - service level SL(T) = 1 − C(N, A)·e^{−(N−A)·T/AHT};
 * - ASA = C(N, A)·AHT / (N − A);
 * - occupancy = A / N.
 *
 * C(N, A) is computed without factorials or powers, so it stays finite for
 * thousands of Erlangs: the Erlang B recursion B(0) = 1,
 * B(n) = A·B(n−1) / (n + A·B(n−1)), each step a number in (0, 1], then
 * C = N·B / (N − A·(1 − B)) (the standard B-to-C relation). With N ≤ A the
 * queue grows without bound: P(wait) = 1, SL = 0 %, ASA = Infinity.
 */

/** Throws a RangeError unless `value` is a finite number ≥ 0 (or > 0 when `positive`). */
function check(name: string, value: number, positive = false): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (positive && value === 0)) {
    throw new RangeError(`${name} must be a finite number ${positive ? '> 0' : '≥ 0'}, got ${String(value)}`);
  }
}

function checkAgents(agents: number): void {
  if (!Number.isInteger(agents) || agents < 0) throw new RangeError(`agents must be a whole number ≥ 0, got ${String(agents)}`);
}

function checkPct(name: string, value: number, allowZero: boolean): void {
  check(name, value);
  if (value > 100 || (!allowZero && value === 0)) throw new RangeError(`${name} must be a percentage in ${allowZero ? '0..100' : '(0, 100]'}, got ${String(value)}`);
}

/**
 * Offered traffic in Erlangs: `arrivals` calls in `periodSec` seconds, each
 * handled for `ahtSec` on average (A = λ·AHT). Calls per hour: pass
 * `periodSec` 3600. Throws RangeError on a negative or non-finite input or a
 * period of 0.
 */
export function trafficErlangs(arrivals: number, periodSec: number, ahtSec: number): number {
  check('arrivals', arrivals);
  check('periodSec', periodSec, true);
  check('ahtSec', ahtSec);
  return (arrivals * ahtSec) / periodSec;
}

/** Erlang B from the recursion, for `agents` ≥ 0 (no checks: callers checked). */
function erlangB(agents: number, erlangs: number): number {
  let b = 1;
  for (let n = 1; n <= agents; n++) b = (erlangs * b) / (n + erlangs * b);
  return b;
}

/** Erlang C from Erlang B at `agents` > `erlangs` > 0. */
function erlangCFromB(agents: number, erlangs: number, b: number): number {
  return (agents * b) / (agents - erlangs * (1 - b));
}

/**
 * Probability that a caller waits (Erlang C, 0..1) with `agents` agents and
 * `erlangs` of traffic. 1 when agents ≤ erlangs (> 0): the queue never
 * empties; 0 when there is no traffic. Throws RangeError on a fractional or
 * negative agent count, or a negative or non-finite traffic.
 */
export function erlangCProbWait(agents: number, erlangs: number): number {
  checkAgents(agents);
  check('erlangs', erlangs);
  if (erlangs === 0) return 0;
  if (agents <= erlangs) return 1;
  return erlangCFromB(agents, erlangs, erlangB(agents, erlangs));
}

function slPct(agents: number, erlangs: number, ahtSec: number, thresholdSec: number, probWait: number): number {
  if (erlangs === 0) return 100;
  if (agents <= erlangs) return 0;
  return 100 * (1 - probWait * Math.exp((-(agents - erlangs) * thresholdSec) / ahtSec));
}

function asa(agents: number, erlangs: number, ahtSec: number, probWait: number): number {
  if (erlangs === 0) return 0;
  if (agents <= erlangs) return Infinity;
  return (probWait * ahtSec) / (agents - erlangs);
}

/**
 * Service level in percent (0..100, unrounded): the share of callers answered
 * within `thresholdSec`, SL = 1 − P(wait)·e^{−(N−A)·T/AHT}. 0 when agents ≤
 * erlangs (> 0), 100 with no traffic. Throws RangeError on invalid input
 * (AHT must be > 0).
 */
export function serviceLevelPct(agents: number, erlangs: number, ahtSec: number, thresholdSec: number): number {
  check('ahtSec', ahtSec, true);
  check('thresholdSec', thresholdSec);
  return slPct(agents, erlangs, ahtSec, thresholdSec, erlangCProbWait(agents, erlangs));
}

/**
 * Average speed of answer in seconds (unrounded): P(wait)·AHT / (N − A).
 * Infinity when agents ≤ erlangs (> 0): the wait grows without bound; 0 with
 * no traffic. Throws RangeError on invalid input (AHT must be > 0).
 */
export function asaSec(agents: number, erlangs: number, ahtSec: number): number {
  check('ahtSec', ahtSec, true);
  return asa(agents, erlangs, ahtSec, erlangCProbWait(agents, erlangs));
}

/**
 * Occupancy in percent: the share of the agents' time spent handling calls,
 * A/N, at most 100 (with agents ≤ erlangs everyone is always busy, and the
 * excess waits). 0 with no traffic. Throws RangeError on invalid input.
 */
export function occupancyPct(agents: number, erlangs: number): number {
  checkAgents(agents);
  check('erlangs', erlangs);
  if (erlangs === 0) return 0;
  if (agents <= erlangs) return 100;
  return (100 * erlangs) / agents;
}

/** The figures at one staffing level (percent and seconds unrounded). */
export interface StaffingFigures {
  agents: number;
  /** Probability that a caller waits, 0..1. */
  probWait: number;
  serviceLevelPct: number;
  asaSec: number;
  occupancyPct: number;
}

/** What {@link agentsNeeded} asks. */
export interface AgentsNeededInput {
  /** Offered traffic, Erlangs ({@link trafficErlangs}). */
  erlangs: number;
  /** Average handle time (talk + hold + wrap-up), s; > 0. */
  ahtSec: number;
  /** Service-level threshold T, s. */
  thresholdSec: number;
  /** Service-level target, percent of callers answered within T (0..100). */
  targetPct: number;
  /** Highest acceptable occupancy, percent (0..100]; default 100 (no cap). */
  maxOccupancyPct?: number;
}

/**
 * Beyond this many agents the search gives up (RangeError): far past any
 * floor, and SL reaches 100 % in floating point long before it (C underflows).
 */
const MAX_AGENTS = 10_000_000;

/**
 * The smallest number of agents N that meets the service-level target
 * (SL(T) ≥ targetPct) with an occupancy A/N at most `maxOccupancyPct`, and
 * the figures at that N. No traffic needs no agents (N = 0, P(wait) 0,
 * SL 100 %, ASA 0, occupancy 0). One pass of the Erlang B recursion up to
 * the answer: O(N). Throws RangeError on a negative or non-finite input, an
 * AHT of 0, or a percentage outside its range.
 */
export function agentsNeeded(input: AgentsNeededInput): StaffingFigures {
  const { erlangs, ahtSec, thresholdSec, targetPct, maxOccupancyPct = 100 } = input;
  check('erlangs', erlangs);
  check('ahtSec', ahtSec, true);
  check('thresholdSec', thresholdSec);
  checkPct('targetPct', targetPct, true);
  checkPct('maxOccupancyPct', maxOccupancyPct, false);
  if (erlangs === 0) return { agents: 0, probWait: 0, serviceLevelPct: 100, asaSec: 0, occupancyPct: 0 };
  let b = 1;
  for (let n = 1; n <= MAX_AGENTS; n++) {
    b = (erlangs * b) / (n + erlangs * b);
    // Occupancy A/n ≤ cap, compared without the division's rounding (8.5 Erlangs on 10 agents is exactly 85 %).
    if (n <= erlangs || erlangs * 100 > maxOccupancyPct * n) continue;
    const probWait = erlangCFromB(n, erlangs, b);
    const sl = slPct(n, erlangs, ahtSec, thresholdSec, probWait);
    if (sl >= targetPct) return { agents: n, probWait, serviceLevelPct: sl, asaSec: asa(n, erlangs, ahtSec, probWait), occupancyPct: (100 * erlangs) / n };
  }
  throw new RangeError(`agentsNeeded: no staffing up to ${MAX_AGENTS} agents meets ${targetPct} % within ${thresholdSec} s at ${erlangs} Erlangs`);
}

import { describe, expect, it } from 'vitest';
import { agentsNeeded, asaSec, erlangCProbWait, occupancyPct, serviceLevelPct, trafficErlangs } from '../../shared/erlang.ts';

const round = (x: number, decimals: number) => Math.round(x * 10 ** decimals) / 10 ** decimals;

describe('Erlang C: the worked example of issue 16 (100 calls in 30 min, AHT 180 s, T 20 s, target 80 %)', () => {
  const erlangs = trafficErlangs(100, 30 * 60, 180);

  it('offers 10 Erlangs', () => {
    expect(erlangs).toBe(10);
    expect(trafficErlangs(200, 3600, 180)).toBe(10); // the same as calls per hour
  });

  it('gives 13 agents SL 79.6 %, P(wait) 0.285, ASA 17.1 s', () => {
    expect(round(erlangCProbWait(13, erlangs), 3)).toBe(0.285);
    expect(round(serviceLevelPct(13, erlangs, 180, 20), 1)).toBe(79.6);
    expect(round(asaSec(13, erlangs, 180), 1)).toBe(17.1);
    expect(round(occupancyPct(13, erlangs), 1)).toBe(76.9);
  });

  it('gives 14 agents SL 88.8 %, P(wait) 0.174, ASA 7.8 s', () => {
    expect(round(erlangCProbWait(14, erlangs), 3)).toBe(0.174);
    expect(round(serviceLevelPct(14, erlangs, 180, 20), 1)).toBe(88.8);
    expect(round(asaSec(14, erlangs, 180), 1)).toBe(7.8);
    expect(round(occupancyPct(14, erlangs), 1)).toBe(71.4);
  });

  it('needs 14 agents, with the figures at 14', () => {
    const r = agentsNeeded({ erlangs, ahtSec: 180, thresholdSec: 20, targetPct: 80, maxOccupancyPct: 85 });
    expect(r.agents).toBe(14);
    expect(round(r.probWait, 3)).toBe(0.174);
    expect(round(r.serviceLevelPct, 1)).toBe(88.8);
    expect(round(r.asaSec, 1)).toBe(7.8);
    expect(round(r.occupancyPct, 1)).toBe(71.4);
  });

  it('needs 13 agents for a target of 79.5 % (just under 13 agents\' 79.56 %)', () => {
    expect(agentsNeeded({ erlangs, ahtSec: 180, thresholdSec: 20, targetPct: 79.5 }).agents).toBe(13);
  });
});

describe('Erlang C: no more agents than Erlangs', () => {
  it('waits for ever: P(wait) 1, SL 0 %, ASA Infinity, occupancy 100 %', () => {
    for (const n of [0, 5, 10]) {
      expect(erlangCProbWait(n, 10)).toBe(1);
      expect(serviceLevelPct(n, 10, 180, 20)).toBe(0);
      expect(asaSec(n, 10, 180)).toBe(Infinity);
      expect(occupancyPct(n, 10)).toBe(100);
    }
  });
});

describe('Erlang C: no traffic', () => {
  it('needs no agents, and nobody waits whatever the staffing', () => {
    expect(agentsNeeded({ erlangs: 0, ahtSec: 180, thresholdSec: 20, targetPct: 80, maxOccupancyPct: 85 })).toEqual({ agents: 0, probWait: 0, serviceLevelPct: 100, asaSec: 0, occupancyPct: 0 });
    expect(erlangCProbWait(0, 0)).toBe(0);
    expect(serviceLevelPct(3, 0, 180, 20)).toBe(100);
    expect(asaSec(3, 0, 180)).toBe(0);
    expect(occupancyPct(3, 0)).toBe(0);
    expect(trafficErlangs(0, 1800, 180)).toBe(0);
  });
});

describe('Erlang C: 2,000 Erlangs', () => {
  it('stays finite and answers a little above 2,000 agents', () => {
    const r = agentsNeeded({ erlangs: 2000, ahtSec: 180, thresholdSec: 20, targetPct: 80 });
    expect(r.agents).toBeGreaterThan(2000);
    expect(r.agents).toBeLessThan(2050);
    for (const v of Object.values(r)) expect(Number.isFinite(v)).toBe(true);
    expect(r.serviceLevelPct).toBeGreaterThanOrEqual(80);
    expect(serviceLevelPct(r.agents - 1, 2000, 180, 20)).toBeLessThan(80);
  });

  it('is finite and monotone in the number of agents: more agents, less waiting, higher SL', () => {
    let prev = { p: 1, sl: 0, asa: Infinity, occ: 100 };
    for (let n = 2001; n <= 2200; n++) {
      const p = erlangCProbWait(n, 2000);
      const sl = serviceLevelPct(n, 2000, 180, 20);
      const asa = asaSec(n, 2000, 180);
      const occ = occupancyPct(n, 2000);
      for (const v of [p, sl, asa, occ]) expect(Number.isFinite(v)).toBe(true);
      expect(p).toBeGreaterThanOrEqual(0);
      expect(p).toBeLessThan(prev.p);
      expect(sl).toBeLessThanOrEqual(100);
      expect(sl).toBeGreaterThanOrEqual(prev.sl);
      expect(asa).toBeLessThan(prev.asa);
      expect(occ).toBeLessThan(prev.occ);
      prev = { p, sl, asa, occ };
    }
  });

  it('reaches even a 100 % target (C underflows to SL 100 %) instead of searching for ever', () => {
    const r = agentsNeeded({ erlangs: 2000, ahtSec: 180, thresholdSec: 20, targetPct: 100 });
    expect(r.serviceLevelPct).toBe(100);
    expect(r.agents).toBeLessThan(2500);
  });
});

describe('Erlang C: the occupancy cap', () => {
  // 100 Erlangs with a lax target: 102 agents meet 50 % within 60 s, but would be 98 % busy.
  const input = { erlangs: 100, ahtSec: 180, thresholdSec: 60, targetPct: 50 };

  it('without a cap the service level alone decides', () => {
    const r = agentsNeeded(input);
    expect(r.agents).toBe(102);
    expect(r.occupancyPct).toBeGreaterThan(85);
  });

  it('an 85 % cap pushes the answer up to the first staffing at most 85 % busy', () => {
    const r = agentsNeeded({ ...input, maxOccupancyPct: 85 });
    expect(r.agents).toBe(118); // 100 / 0.85 = 117.6
    expect(r.occupancyPct).toBeLessThanOrEqual(85);
    expect(occupancyPct(117, 100)).toBeGreaterThan(85);
  });

  it('counts an occupancy of exactly the cap as within it', () => {
    // 8.5 Erlangs on 10 agents is 85 % busy; in floating point 8.5 / 10 * 100 is 85.00000000000001.
    expect(agentsNeeded({ erlangs: 8.5, ahtSec: 180, thresholdSec: 20, targetPct: 0, maxOccupancyPct: 85 }).agents).toBe(10);
  });
});

describe('Erlang C: invalid input', () => {
  it('throws a RangeError naming the bad argument', () => {
    expect(() => trafficErlangs(-1, 1800, 180)).toThrow(new RangeError('arrivals must be a finite number ≥ 0, got -1'));
    expect(() => trafficErlangs(10, 0, 180)).toThrow(/periodSec must be a finite number > 0, got 0/);
    expect(() => trafficErlangs(10, 1800, NaN)).toThrow(/ahtSec must be a finite number ≥ 0, got NaN/);
    expect(() => erlangCProbWait(12.5, 10)).toThrow(/agents must be a whole number ≥ 0, got 12.5/);
    expect(() => erlangCProbWait(-1, 10)).toThrow(RangeError);
    expect(() => erlangCProbWait(12, NaN)).toThrow(/erlangs must be a finite number ≥ 0, got NaN/);
    expect(() => erlangCProbWait(12, Infinity)).toThrow(RangeError);
    expect(() => serviceLevelPct(12, 10, 0, 20)).toThrow(/ahtSec must be a finite number > 0, got 0/);
    expect(() => serviceLevelPct(12, 10, 180, -5)).toThrow(/thresholdSec/);
    expect(() => asaSec(12, -10, 180)).toThrow(/erlangs/);
    expect(() => occupancyPct(12, NaN)).toThrow(/erlangs/);
    expect(() => agentsNeeded({ erlangs: NaN, ahtSec: 180, thresholdSec: 20, targetPct: 80 })).toThrow(/erlangs/);
    expect(() => agentsNeeded({ erlangs: 10, ahtSec: 180, thresholdSec: 20, targetPct: 120 })).toThrow(/targetPct must be a percentage in 0..100, got 120/);
    expect(() => agentsNeeded({ erlangs: 10, ahtSec: 180, thresholdSec: 20, targetPct: 80, maxOccupancyPct: 0 })).toThrow(/maxOccupancyPct must be a percentage in \(0, 100\], got 0/);
    for (const f of [() => trafficErlangs(-1, 1, 1), () => agentsNeeded({ erlangs: 10, ahtSec: -1, thresholdSec: 20, targetPct: 80 })]) expect(f).toThrow(RangeError);
  });
});

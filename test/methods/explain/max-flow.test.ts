/**
 * The Boykov–Kolmogorov solver against brute force: on random graphs of ≤ 12 nodes every one of
 * the 2^n source sets is tried, so the minimum cut is known exactly.
 */
import { describe, expect, it } from 'vitest';
import { MaxFlowGraph } from '../../../src/methods/explain/max-flow.js';
import { rng } from '../../helpers/data.js';

interface Problem {
  n: number;
  source: number[];
  sink: number[];
  edges: [number, number, number, number][]; // u, v, u→v, v→u
}

function randomProblem(seed: number, integer: boolean): Problem {
  const random = rng(seed);
  const n = 1 + Math.floor(random() * 12);
  const density = 0.15 + random() * 0.7;
  const value = (scale: number) => (integer ? Math.floor(random() * (scale + 1)) : random() * scale);
  const source: number[] = [];
  const sink: number[] = [];
  for (let i = 0; i < n; i++) {
    // Many nodes without a terminal arc: the free-node and adoption paths get exercised.
    source.push(random() < 0.4 ? value(10) : 0);
    sink.push(random() < 0.4 ? value(10) : 0);
  }
  const edges: Problem['edges'] = [];
  for (let u = 0; u < n; u++)
    for (let v = u + 1; v < n; v++) if (random() < density) edges.push([u, v, value(8), random() < 0.5 ? value(8) : 0]);
  // A parallel edge now and then (grids do not have them, but the solver must not care).
  if (edges.length > 0 && random() < 0.3) {
    const [u, v] = edges[0];
    edges.push([v, u, value(5), value(5)]);
  }
  return { n, source, sink, edges };
}

/** Capacity of the cut with `inSource[i]` on the source side. */
function cutCapacity(p: Problem, inSource: (i: number) => boolean): number {
  let c = 0;
  for (let i = 0; i < p.n; i++) c += inSource(i) ? p.sink[i] : p.source[i];
  for (const [u, v, f, b] of p.edges) {
    if (inSource(u) && !inSource(v)) c += f;
    if (inSource(v) && !inSource(u)) c += b;
  }
  return c;
}

function solve(p: Problem): { flow: number; side: Uint8Array } {
  const g = new MaxFlowGraph(p.n, p.edges.length);
  for (let i = 0; i < p.n; i++) g.addTerminal(i, p.source[i], p.sink[i]);
  for (const [u, v, f, b] of p.edges) g.addEdge(u, v, f, b);
  const flow = g.maxFlow();
  return { flow, side: g.sourceSide() };
}

function bruteForce(p: Problem): { min: number; minimalSets: number[] } {
  let min = Infinity;
  const caps = new Float64Array(1 << p.n);
  for (let s = 0; s < 1 << p.n; s++) {
    caps[s] = cutCapacity(p, (i) => ((s >> i) & 1) === 1);
    min = Math.min(min, caps[s]);
  }
  const minimalSets: number[] = [];
  for (let s = 0; s < 1 << p.n; s++) if (Math.abs(caps[s] - min) <= 1e-9 * Math.max(1, min)) minimalSets.push(s);
  return { min, minimalSets };
}

describe('max-flow (Boykov–Kolmogorov)', () => {
  it('equals the brute-force minimum cut on 600 random integer graphs, and its cut is a minimum cut', () => {
    let nontrivial = 0;
    for (let seed = 1; seed <= 600; seed++) {
      const p = randomProblem(seed, true);
      const { flow, side } = solve(p);
      const { min, minimalSets } = bruteForce(p);
      // integer capacities: sums are exact in float64
      expect(flow, `seed ${seed}`).toBe(min);
      expect(
        cutCapacity(p, (i) => side[i] === 1),
        `seed ${seed}`,
      ).toBe(min);
      // The returned source side is what the source still reaches: the smallest source set of a
      // minimum cut, contained in every other one.
      let mask = 0;
      for (let i = 0; i < p.n; i++) if (side[i]) mask |= 1 << i;
      for (const s of minimalSets) expect(mask & ~s, `seed ${seed}`).toBe(0);
      if (min > 0 && p.edges.length > 3) nontrivial++;
    }
    expect(nontrivial).toBeGreaterThan(300);
  });

  it('equals the brute-force minimum cut on 300 random real-valued graphs (within 1e-9)', () => {
    for (let seed = 1001; seed <= 1300; seed++) {
      const p = randomProblem(seed, false);
      const { flow, side } = solve(p);
      const { min } = bruteForce(p);
      expect(Math.abs(flow - min), `seed ${seed}`).toBeLessThanOrEqual(1e-9 * Math.max(1, min));
      expect(Math.abs(cutCapacity(p, (i) => side[i] === 1) - min)).toBeLessThanOrEqual(1e-9 * Math.max(1, min));
    }
  });

  it('addEdges (undirected, in bulk) gives the brute-force minimum cut too', () => {
    for (let seed = 3001; seed <= 3150; seed++) {
      const p = randomProblem(seed, true);
      p.edges = p.edges.map(([u, v, f]) => [u, v, f, f]);
      const g = new MaxFlowGraph(p.n, p.edges.length);
      for (let i = 0; i < p.n; i++) g.addTerminal(i, p.source[i], p.sink[i]);
      g.addEdges(
        Int32Array.from(p.edges, (e) => e[0]),
        Int32Array.from(p.edges, (e) => e[1]),
        Float64Array.from(p.edges, (e) => e[2]),
      );
      expect(g.maxFlow(), `seed ${seed}`).toBe(bruteForce(p).min);
    }
    expect(() => new MaxFlowGraph(2, 1).addEdges(Int32Array.of(0), Int32Array.of(0), Float64Array.of(1))).toThrow(
      /invalid edge/,
    );
  });

  it('after reset(), solves the same edges with new terminal capacities (GrabCut rounds) exactly', () => {
    for (let seed = 2001; seed <= 2200; seed++) {
      const p = randomProblem(seed, true);
      const g = new MaxFlowGraph(p.n, p.edges.length);
      for (let i = 0; i < p.n; i++) g.addTerminal(i, p.source[i], p.sink[i]);
      for (const [u, v, f, b] of p.edges) g.addEdge(u, v, f, b);
      g.maxFlow();
      const random = rng(seed + 7);
      const q: Problem = {
        ...p,
        source: p.source.map(() => Math.floor(random() * 11)),
        sink: p.sink.map(() => Math.floor(random() * 11)),
      };
      g.reset();
      for (let i = 0; i < q.n; i++) g.addTerminal(i, q.source[i], q.sink[i]);
      expect(g.maxFlow(), `seed ${seed}`).toBe(bruteForce(q).min);
      const side = g.sourceSide();
      expect(cutCapacity(q, (i) => side[i] === 1)).toBe(bruteForce(q).min);
    }
  });

  it('handles the textbook cases: no edges, a chain, a saturated middle arc', () => {
    const none = new MaxFlowGraph(3, 0);
    none.addTerminal(0, 5, 2); // 2 straight through, node stays with the source
    none.addTerminal(1, 0, 4);
    expect(none.maxFlow()).toBe(2);
    expect(Array.from(none.sourceSide())).toEqual([1, 0, 0]);
    // s →(3) 0 →(2) 1 →(4) t: the middle arc is the cut
    const chain = new MaxFlowGraph(2, 1);
    chain.addTerminal(0, 3, 0);
    chain.addTerminal(1, 0, 4);
    chain.addEdge(0, 1, 2, 0);
    expect(chain.maxFlow()).toBe(2);
    expect(Array.from(chain.sourceSide())).toEqual([1, 0]);
    expect(() => chain.addEdge(0, 1, 1)).toThrow(/already solved/);
    expect(() => new MaxFlowGraph(2, 1).addEdge(0, 0, 1)).toThrow(/itself/);
    expect(() => new MaxFlowGraph(2, 1).addTerminal(2, 1, 1)).toThrow(/out of range/);
    expect(() => new MaxFlowGraph(2, 1).addEdge(0, 1, -1)).toThrow(/≥ 0/);
  });

  it('cuts GrabCut-like grids consistently and fast (times printed: 224×224 and 320×240, 8-neighbour)', () => {
    for (const [w, h] of [
      [224, 224],
      [320, 240],
    ]) {
      const random = rng(w * h);
      // A noisy disc: unaries favour the inside, Potts weights drop across a colour edge.
      const colour = new Float64Array(w * h);
      let discPixels = 0;
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++) {
          const inside = (x + 0.5 - w / 2) ** 2 + (y + 0.5 - h / 2) ** 2 < (0.3 * h) ** 2;
          if (inside) discPixels++;
          colour[y * w + x] = (inside ? 180 : 60) + (random() - 0.5) * 160;
        }
      const fgCost = (i: number) => ((colour[i] - 180) / 40) ** 2; // −log likelihoods up to a constant
      const bgCost = (i: number) => ((colour[i] - 60) / 40) ** 2;
      /** Calls `edge` for each 8-neighbour pair once, with its Potts weight. */
      const eachPair = (edge: (a: number, b: number, cap: number) => void) => {
        const weight = (a: number, b: number, dist: number) =>
          (50 / dist) * Math.exp(-((colour[a] - colour[b]) ** 2) / (2 * 60 ** 2));
        for (let y = 0; y < h; y++)
          for (let x = 0; x < w; x++) {
            const i = y * w + x;
            if (x + 1 < w) edge(i, i + 1, weight(i, i + 1, 1));
            if (y + 1 < h) edge(i, i + w, weight(i, i + w, 1));
            if (x + 1 < w && y + 1 < h) edge(i, i + w + 1, weight(i, i + w + 1, Math.SQRT2));
            if (x > 0 && y + 1 < h) edge(i, i + w - 1, weight(i, i + w - 1, Math.SQRT2));
          }
      };
      const t0 = performance.now();
      const g = new MaxFlowGraph(w * h, 4 * w * h);
      for (let i = 0; i < w * h; i++) g.addTerminal(i, bgCost(i), fgCost(i));
      eachPair((a, b, cap) => g.addEdge(a, b, cap, cap));
      const t1 = performance.now();
      const flow = g.maxFlow();
      const t2 = performance.now();
      const side = g.sourceSide();
      let cut = 0;
      for (let i = 0; i < w * h; i++) cut += side[i] ? fgCost(i) : bgCost(i);
      eachPair((a, b, cap) => {
        if (side[a] !== side[b]) cut += cap;
      });
      const fgFraction = side.reduce((s, v) => s + v, 0) / (w * h);
      console.log(
        `max-flow ${w}×${h}: build ${(t1 - t0).toFixed(1)} ms, cut ${(t2 - t1).toFixed(1)} ms, ` +
          `foreground ${(100 * fgFraction).toFixed(1)} % (disc ${((100 * discPixels) / (w * h)).toFixed(1)} %)`,
      );
      // max-flow = min-cut on a graph far too large to enumerate: the cut it returns costs the flow
      expect(Math.abs(cut - flow) / flow).toBeLessThan(1e-9);
      // and it finds the disc through noise of ±80 levels on a contrast of 120
      expect(Math.abs(fgFraction - discPixels / (w * h))).toBeLessThan(0.01);
    }
  });
});

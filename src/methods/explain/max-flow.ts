/**
 * Maximum flow / minimum s–t cut by the Boykov–Kolmogorov algorithm (Boykov & Kolmogorov, "An
 * Experimental Comparison of Min-Cut/Max-Flow Algorithms for Energy Minimization in Vision",
 * PAMI 2004), the solver GraphCut and GrabCut use. Pure TypeScript, no TF.js, no recursion: every
 * node and arc lives in typed arrays, so a 320×240 8-neighbour grid (76,800 nodes, 613,000 arcs)
 * is ~8 MB and no objects.
 *
 * Why our own: the npm registry has no maintained max-flow package (no `maxflow`, `max-flow`,
 * `mincut`, `graphcut`; `js-graph-algorithms` has an object-per-edge Edmonds–Karp, last released
 * 2017, O(V·E²)), and grid cuts need BK's tree reuse to be fast.
 *
 * The algorithm (as in Kolmogorov's maxflow 3.0): two search trees, S grown from the source and T
 * from the sink, are grown from active nodes until they touch (growth); the path found is
 * saturated (augmentation), which leaves orphans — nodes whose arc to their parent is now
 * saturated — that look for a new parent in their own tree among neighbours whose way to the root
 * is intact (adoption), or become free. Trees are kept between augmentations, which is what makes
 * BK fast on grids. Distances to the root with time stamps prefer short paths when adopting.
 *
 * Terminal arcs are stored as one number per node (source − sink capacity, the common part being
 * pushed through at once, as flow that reaches the sink directly).
 *
 * Measured (Node, 2 cores shared with other jobs, so ranges): the noisy-disc grid of
 * test/methods/explain/max-flow.test.ts (8-neighbour, contrast-sensitive Potts γ = 50, which prints
 * its times) took 24–86 ms to cut at 224×224 and 53–163 ms at 320×240 over four runs. In
 * segmentation the first GrabCut round costs most (photos: 0.3–1.7 s CPU for 5 rounds, all steps).
 */

/** Parent markers (any value ≥ 0 is the arc from a node to its parent). */
const FREE = -1;
const TERMINAL = -2;
const ORPHAN = -3;
const INFINITE_DISTANCE = 0x3fffffff;

export class MaxFlowGraph {
  readonly nodeCount: number;
  /** arcs come in pairs: arc a and its reverse a ^ 1 */
  private arcCount = 0;
  private readonly head: Int32Array; // node an arc points to
  private readonly nextArc: Int32Array; // next arc leaving the same node
  private readonly firstArc: Int32Array; // per node
  private readonly residual: Float64Array; // per arc
  /** per node: residual capacity source → node (> 0) or node → sink (< 0) */
  private readonly terminal: Float64Array;
  private flowValue = 0;
  private solved = false;
  // search state
  private readonly parent: Int32Array;
  private readonly inSink: Uint8Array;
  private readonly stamp: Int32Array;
  private readonly distance: Int32Array;
  /** capacity of each arc as added (for `reset`) */
  private readonly capacity: Float64Array;
  // Active nodes: a FIFO ring; a node is in it at most once (queued flag).
  private readonly active: Int32Array;
  private readonly queued: Uint8Array;
  private activeHead = 0;
  private activeTail = 0;
  // Orphans: a stack; a node is an orphan at most once at a time (its parent is ORPHAN meanwhile).
  private readonly orphans: Int32Array;
  private orphanCount = 0;

  /**
   * @param nodeCount number of (non-terminal) nodes
   * @param edgeCapacity how many `addEdge` calls at most (each makes two arcs)
   */
  constructor(nodeCount: number, edgeCapacity: number) {
    if (!(Number.isInteger(nodeCount) && nodeCount >= 0)) throw new RangeError(`invalid node count ${nodeCount}`);
    if (!(Number.isInteger(edgeCapacity) && edgeCapacity >= 0))
      throw new RangeError(`invalid edge count ${edgeCapacity}`);
    this.nodeCount = nodeCount;
    this.head = new Int32Array(2 * edgeCapacity);
    this.nextArc = new Int32Array(2 * edgeCapacity);
    this.residual = new Float64Array(2 * edgeCapacity);
    this.firstArc = new Int32Array(nodeCount).fill(-1);
    this.terminal = new Float64Array(nodeCount);
    this.parent = new Int32Array(nodeCount).fill(FREE);
    this.inSink = new Uint8Array(nodeCount);
    this.stamp = new Int32Array(nodeCount);
    this.distance = new Int32Array(nodeCount);
    this.capacity = new Float64Array(2 * edgeCapacity);
    this.active = new Int32Array(nodeCount + 1);
    this.queued = new Uint8Array(nodeCount);
    this.orphans = new Int32Array(nodeCount);
  }

  /**
   * Starts again on the same edges (their capacities as added), with no terminal capacities and
   * no flow: GrabCut re-cuts one grid with new colour models each round, and re-linking 600,000
   * arcs cost more than the cut.
   */
  reset(): void {
    this.residual.set(this.capacity.subarray(0, this.arcCount));
    this.terminal.fill(0);
    this.parent.fill(FREE);
    this.inSink.fill(0);
    this.stamp.fill(0);
    this.distance.fill(0);
    this.flowValue = 0;
    this.solved = false;
  }

  /** Adds capacity source → node and node → sink (both ≥ 0; added to what the node already has). */
  addTerminal(node: number, source: number, sink: number): void {
    this.checkNode(node);
    if (!(source >= 0 && sink >= 0)) throw new RangeError(`terminal capacities must be ≥ 0, got ${source}, ${sink}`);
    const common = Math.min(source, sink);
    // Flow source → node → sink that any cut must pay: count it now, keep the difference.
    this.flowValue += common;
    this.terminal[node] += source - sink;
  }

  /** An edge u → v with capacity `forward` and v → u with `backward` (both ≥ 0). */
  addEdge(u: number, v: number, forward: number, backward = 0): void {
    this.checkNode(u);
    this.checkNode(v);
    if (u === v) throw new RangeError(`edge from node ${u} to itself`);
    if (!(forward >= 0 && backward >= 0))
      throw new RangeError(`edge capacities must be ≥ 0, got ${forward}, ${backward}`);
    const a = this.arcCount;
    if (a + 2 > this.head.length) throw new RangeError(`more than ${this.head.length / 2} edges`);
    this.arcCount += 2;
    this.head[a] = v;
    this.residual[a] = forward;
    this.capacity[a] = forward;
    this.nextArc[a] = this.firstArc[u];
    this.firstArc[u] = a;
    this.head[a + 1] = u;
    this.residual[a + 1] = backward;
    this.capacity[a + 1] = backward;
    this.nextArc[a + 1] = this.firstArc[v];
    this.firstArc[v] = a + 1;
  }

  /**
   * Many undirected edges at once (capacity w[e] both ways between u[e] and v[e]), checked once:
   * a 320×240 grid has 300,000 of them.
   */
  addEdges(u: Int32Array, v: Int32Array, w: Float64Array): void {
    const m = u.length;
    if (v.length !== m || w.length !== m) throw new RangeError('edge arrays differ in length');
    if (this.arcCount + 2 * m > this.head.length) throw new RangeError(`more than ${this.head.length / 2} edges`);
    if (this.solved) throw new Error('the graph was already solved');
    const { head, nextArc, firstArc, residual, capacity, nodeCount } = this;
    for (let e = 0; e < m; e++) {
      const a = u[e];
      const b = v[e];
      const c = w[e];
      if (!(a >= 0 && a < nodeCount && b >= 0 && b < nodeCount && a !== b && c >= 0))
        throw new RangeError(`invalid edge ${a} → ${b} (${c})`);
      const arc = this.arcCount;
      this.arcCount += 2;
      head[arc] = b;
      residual[arc] = c;
      capacity[arc] = c;
      nextArc[arc] = firstArc[a];
      firstArc[a] = arc;
      head[arc + 1] = a;
      residual[arc + 1] = c;
      capacity[arc + 1] = c;
      nextArc[arc + 1] = firstArc[b];
      firstArc[b] = arc + 1;
    }
  }

  /** Computes the maximum flow (= the minimum cut's capacity). Call once, after the graph is built. */
  maxFlow(): number {
    if (this.solved) return this.flowValue;
    this.solved = true;
    const n = this.nodeCount;
    const { head, nextArc, firstArc, residual, terminal, parent, inSink, stamp, distance, orphans } = this;
    this.activeHead = 0;
    this.activeTail = 0;
    this.queued.fill(0);
    this.orphanCount = 0;
    for (let i = 0; i < n; i++) {
      if (terminal[i] > 0) {
        inSink[i] = 0;
      } else if (terminal[i] < 0) {
        inSink[i] = 1;
      } else continue;
      parent[i] = TERMINAL;
      stamp[i] = 0;
      distance[i] = 1;
      this.activate(i);
    }

    let time = 0;
    let current = -1;
    for (;;) {
      // ---- growth: from an active node, until an arc joins the two trees
      const i = current !== -1 && parent[current] !== FREE ? current : this.nextActive();
      current = -1;
      if (i === -1) break;
      let bridge = -1; // arc from an S node to a T node with residual capacity
      if (!inSink[i]) {
        for (let a = firstArc[i]; a !== -1; a = nextArc[a]) {
          if (residual[a] <= 0) continue;
          const j = head[a];
          if (parent[j] === FREE) {
            inSink[j] = 0;
            parent[j] = a ^ 1;
            stamp[j] = stamp[i];
            distance[j] = distance[i] + 1;
            this.activate(j);
          } else if (inSink[j]) {
            bridge = a;
            break;
          } else if (stamp[j] <= stamp[i] && distance[j] > distance[i]) {
            // a shorter way to the source through i
            parent[j] = a ^ 1;
            stamp[j] = stamp[i];
            distance[j] = distance[i] + 1;
          }
        }
      } else {
        for (let a = firstArc[i]; a !== -1; a = nextArc[a]) {
          if (residual[a ^ 1] <= 0) continue;
          const j = head[a];
          if (parent[j] === FREE) {
            inSink[j] = 1;
            parent[j] = a ^ 1;
            stamp[j] = stamp[i];
            distance[j] = distance[i] + 1;
            this.activate(j);
          } else if (!inSink[j]) {
            bridge = a ^ 1;
            break;
          } else if (stamp[j] <= stamp[i] && distance[j] > distance[i]) {
            parent[j] = a ^ 1;
            stamp[j] = stamp[i];
            distance[j] = distance[i] + 1;
          }
        }
      }
      time++;
      if (bridge === -1) continue;
      current = i; // i may have more arcs to the other tree: look at it again first

      // ---- augmentation along source → … → tail(bridge) → head(bridge) → … → sink
      let bottleneck = residual[bridge];
      for (let k = head[bridge ^ 1]; ; ) {
        const a = parent[k];
        if (a === TERMINAL) {
          bottleneck = Math.min(bottleneck, terminal[k]);
          break;
        }
        bottleneck = Math.min(bottleneck, residual[a ^ 1]);
        k = head[a];
      }
      for (let k = head[bridge]; ; ) {
        const a = parent[k];
        if (a === TERMINAL) {
          bottleneck = Math.min(bottleneck, -terminal[k]);
          break;
        }
        bottleneck = Math.min(bottleneck, residual[a]);
        k = head[a];
      }
      residual[bridge ^ 1] += bottleneck;
      residual[bridge] -= bottleneck;
      for (let k = head[bridge ^ 1]; ; ) {
        const a = parent[k];
        if (a === TERMINAL) {
          terminal[k] -= bottleneck;
          if (terminal[k] <= 0) {
            terminal[k] = 0;
            this.makeOrphan(k);
          }
          break;
        }
        residual[a] += bottleneck;
        residual[a ^ 1] -= bottleneck;
        const up = head[a];
        if (residual[a ^ 1] <= 0) this.makeOrphan(k);
        k = up;
      }
      for (let k = head[bridge]; ; ) {
        const a = parent[k];
        if (a === TERMINAL) {
          terminal[k] += bottleneck;
          if (terminal[k] >= 0) {
            terminal[k] = 0;
            this.makeOrphan(k);
          }
          break;
        }
        residual[a ^ 1] += bottleneck;
        residual[a] -= bottleneck;
        const up = head[a];
        if (residual[a] <= 0) this.makeOrphan(k);
        k = up;
      }
      this.flowValue += bottleneck;

      // ---- adoption: each orphan finds a new parent in its tree or becomes free (stamps equal to
      // `time` mark distances checked during this adoption)
      while (this.orphanCount > 0) {
        const o = orphans[--this.orphanCount];
        const sinkSide = inSink[o] === 1;
        let best = -1;
        let bestDistance = INFINITE_DISTANCE;
        for (let a0 = firstArc[o]; a0 !== -1; a0 = nextArc[a0]) {
          // S: flow must be able to come from j to o (arc j → o = a0 ^ 1); T: go from o to j (a0)
          if ((sinkSide ? residual[a0] : residual[a0 ^ 1]) <= 0) continue;
          let j = head[a0];
          if (inSink[j] !== inSink[o] || parent[j] === FREE) continue;
          // Is j rooted at the terminal (not below an orphan)? Count the way up.
          let d = 0;
          for (;;) {
            if (stamp[j] === time) {
              d += distance[j];
              break;
            }
            const a = parent[j];
            d++;
            if (a === TERMINAL) {
              stamp[j] = time;
              distance[j] = 1;
              break;
            }
            if (a === ORPHAN) {
              d = INFINITE_DISTANCE;
              break;
            }
            j = head[a];
          }
          if (d < INFINITE_DISTANCE) {
            if (d < bestDistance) {
              best = a0;
              bestDistance = d;
            }
            // remember the distances found along that way
            for (j = head[a0]; stamp[j] !== time; j = head[parent[j]]) {
              stamp[j] = time;
              distance[j] = d--;
            }
          }
        }
        if (best !== -1) {
          parent[o] = best;
          stamp[o] = time;
          distance[o] = bestDistance + 1;
          continue;
        }
        // No parent: o becomes free; its children become orphans, neighbours that could reach it
        // become active again so the tree can grow back.
        parent[o] = FREE;
        for (let a0 = firstArc[o]; a0 !== -1; a0 = nextArc[a0]) {
          const j = head[a0];
          if (inSink[j] !== inSink[o]) continue;
          const a = parent[j];
          if (a === FREE) continue;
          if ((sinkSide ? residual[a0] : residual[a0 ^ 1]) > 0) this.activate(j);
          if (a >= 0 && head[a] === o) this.makeOrphan(j);
        }
      }
    }
    return this.flowValue;
  }

  /**
   * After `maxFlow`: 1 for nodes on the source side of a minimum cut (those still reachable from
   * the source in the residual graph: the smallest source set), 0 for the sink side.
   */
  sourceSide(): Uint8Array {
    if (!this.solved) throw new Error('call maxFlow() first');
    const out = new Uint8Array(this.nodeCount);
    for (let i = 0; i < this.nodeCount; i++) out[i] = this.parent[i] !== FREE && !this.inSink[i] ? 1 : 0;
    return out;
  }

  private activate(i: number): void {
    if (this.queued[i]) return;
    this.queued[i] = 1;
    this.active[this.activeTail] = i;
    this.activeTail = this.activeTail === this.nodeCount ? 0 : this.activeTail + 1;
  }

  private nextActive(): number {
    while (this.activeHead !== this.activeTail) {
      const i = this.active[this.activeHead];
      this.activeHead = this.activeHead === this.nodeCount ? 0 : this.activeHead + 1;
      this.queued[i] = 0;
      if (this.parent[i] !== FREE) return i;
    }
    return -1;
  }

  private makeOrphan(i: number): void {
    this.parent[i] = ORPHAN;
    this.orphans[this.orphanCount++] = i;
  }

  private checkNode(node: number): void {
    if (!(Number.isInteger(node) && node >= 0 && node < this.nodeCount))
      throw new RangeError(`node ${node} out of range 0…${this.nodeCount - 1}`);
    if (this.solved) throw new Error('the graph was already solved');
  }
}

/**
 * Levenberg–Marquardt under box bounds, with an active-set step: a parameter that a step pushes past its bound is
 * held at the bound and the others are re-solved with it held, and a parameter on its bound stays held while the
 * gradient points outward and is released as soon as it points back inside (the projected Newton method of
 * Bertsekas, "Projected Newton methods for optimization problems with simple constraints", SIAM J. Control Optim.
 * 20(2), 1982; the bound handling of MINPACK-style LM codes such as scipy.optimize.least_squares(method='trf')).
 * Clipping a free step instead moves the other parameters as if the clipped one had gone past its bound, so the
 * fit creeps along the bound and stops wherever its iteration cap finds it.
 */

/** Solves a·x = b by Gauss–Jordan elimination with partial pivoting; a singular column gives 0. */
export function solveLinear(a: number[][], b: number[]): number[] {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]!]);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let row = col + 1; row < n; row++)
      if (Math.abs(m[row]![col]!) > Math.abs(m[pivot]![col]!)) pivot = row;
    [m[col], m[pivot]] = [m[pivot]!, m[col]!];
    const p = m[col]![col]!;
    if (Math.abs(p) < 1e-14) continue;
    for (let row = 0; row < n; row++) {
      if (row === col) continue;
      const factor = m[row]![col]! / p;
      for (let k = col; k <= n; k++) m[row]![k]! -= factor * m[col]![k]!;
    }
  }
  return m.map((row, i) => (Math.abs(row[i]!) < 1e-14 ? 0 : row[n]! / row[i]!));
}

export interface Bounds {
  lower: number[];
  upper: number[];
}

/**
 * One damped Gauss–Newton step from `x` (normal equations `jtj`·s = −`jtr`, `jtr` being half the gradient), that
 * keeps x + s within `bounds` by holding parameters at their bounds rather than clipping the step.
 */
export function boundedStep(
  jtj: number[][],
  jtr: number[],
  damping: number,
  x: number[],
  bounds: Bounds,
): number[] {
  const { lower, upper } = bounds;
  const n = x.length;
  // Held parameters and the step that takes each to its bound.
  const held = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    if (x[i]! <= lower[i]! && jtr[i]! > 0) held.set(i, lower[i]! - x[i]!);
    if (x[i]! >= upper[i]! && jtr[i]! < 0) held.set(i, upper[i]! - x[i]!);
  }
  for (;;) {
    const free = [...Array(n).keys()].filter((i) => !held.has(i));
    const lhs = free.map((p) =>
      free.map((q) => (p === q ? jtj[p]![p]! * (1 + damping) + 1e-9 : jtj[p]![q]!)),
    );
    const rhs = free.map((p) => {
      let v = -jtr[p]!;
      for (const [h, s] of held) v -= jtj[p]![h]! * s;
      return v;
    });
    const solved = solveLinear(lhs, rhs);
    const step = new Array<number>(n).fill(0);
    for (const [h, s] of held) step[h] = s;
    free.forEach((p, k) => {
      step[p] = solved[k]!;
    });
    const past = free.filter((p) => x[p]! + step[p]! < lower[p]! || x[p]! + step[p]! > upper[p]!);
    if (past.length === 0) return step;
    for (const p of past) held.set(p, Math.min(Math.max(x[p]! + step[p]!, lower[p]!), upper[p]!) - x[p]!);
  }
}

/** A least-squares problem as the minimiser sees it; `T` is what evaluating the objective leaves for the caller. */
export interface BoundedProblem<T> {
  bounds: Bounds;
  /** The objective at x (a weighted sum of squares) and what its evaluation computed. */
  evaluate(x: number[]): { value: number; state: T };
  /** Gauss–Newton normal equations at x: JᵀWJ and JᵀWr (half the objective's gradient). */
  normalEquations(x: number[], state: T): { jtj: number[][]; jtr: number[] };
}

export interface BoundedMinimum<T> {
  x: number[];
  value: number;
  state: T;
  /** Steps taken, accepted or not. */
  iterations: number;
}

/**
 * Minimises `problem` from `start` (within its bounds) by Levenberg–Marquardt with `boundedStep`: a step is taken
 * when it lowers the objective, else the damping grows (×4, up to 6 tries); the fit ends when a step gains nothing
 * (relative 1e-6) or after `maxIterations`. Deterministic.
 */
export function minimiseBounded<T>(
  problem: BoundedProblem<T>,
  start: { x: number[]; value: number; state: T },
  maxIterations: number,
): BoundedMinimum<T> {
  let { x, value, state } = start;
  let damping = 1e-2;
  let iterations = 0;
  while (iterations < maxIterations) {
    iterations++;
    const { jtj, jtr } = problem.normalEquations(x, state);
    let improved = false;
    for (let attempt = 0; attempt < 6; attempt++) {
      const step = boundedStep(jtj, jtr, damping, x, problem.bounds);
      // Clamped only against rounding: the step itself stays within the bounds.
      const candidate = x.map((xi, i) =>
        Math.min(Math.max(xi + step[i]!, problem.bounds.lower[i]!), problem.bounds.upper[i]!),
      );
      const evaluated = problem.evaluate(candidate);
      if (evaluated.value < value) {
        improved = value - evaluated.value > 1e-6 * (1 + evaluated.value);
        x = candidate;
        ({ value, state } = evaluated);
        damping = Math.max(damping / 3, 1e-6);
        break;
      }
      damping *= 4;
    }
    if (!improved) break;
  }
  return { x, value, state, iterations };
}

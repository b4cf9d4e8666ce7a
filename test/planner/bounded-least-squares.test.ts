import { describe, expect, it } from 'vitest';
import { boundedStep, minimiseBounded, solveLinear } from '../../src/planner/bounded-least-squares.js';

/**
 * Linear least squares ½·‖A·x − b‖² as the minimiser sees it: objective Σ r², normal equations AᵀA and Aᵀr. The
 * gradient of the objective the fit minimises is 2·Aᵀr.
 */
function linearProblem(a: number[][], b: number[], lower: number[], upper: number[]) {
  const residuals = (x: number[]) => a.map((row, i) => row.reduce((s, v, j) => s + v * x[j]!, 0) - b[i]!);
  const gradient = (x: number[]) => {
    const r = residuals(x);
    return x.map((_, j) => 2 * a.reduce((s, row, i) => s + row[j]! * r[i]!, 0));
  };
  const problem = {
    bounds: { lower, upper },
    evaluate: (x: number[]) => {
      const r = residuals(x);
      return { value: r.reduce((s, v) => s + v * v, 0), state: r };
    },
    normalEquations: (_x: number[], r: number[]) => ({
      jtj: a[0]!.map((_, p) => a[0]!.map((_, q) => a.reduce((s, row) => s + row[p]! * row[q]!, 0))),
      jtr: a[0]!.map((_, p) => a.reduce((s, row, i) => s + row[p]! * r[i]!, 0)),
    }),
  };
  const start = (x: number[]) => ({ x, ...problem.evaluate(x) });
  return { problem, gradient, start };
}

describe('bounded Levenberg–Marquardt', () => {
  // r = (x0 − 2, 4·(x1 − x0)): the unconstrained minimum (2, 2) lies past x0 ≤ 1; the constrained one is (1, 1),
  // where x1's gradient vanishes and x0's points outward (the objective falls beyond the bound). The coupling of x1
  // to x0 is what a clipped step gets wrong: it moves x1 towards 2 as if x0 had got there.
  const coupled = () =>
    linearProblem(
      [
        [1, 0],
        [-4, 4],
      ],
      [2, 0],
      [-10, -10],
      [1, 10],
    );

  it('reaches the constrained minimum past which the unconstrained one lies, in a few steps (KKT)', () => {
    const { problem, gradient, start } = coupled();
    const fit = minimiseBounded(problem, start([0, 0]), 10);
    const g = gradient(fit.x);
    expect(fit.x[0]).toBe(1);
    expect(Math.abs(g[1]!)).toBeLessThan(1e-4);
    expect(g[0]!).toBeLessThan(-0.1);
    expect(fit.x[1]).toBeCloseTo(1, 4);
    expect(fit.value).toBeCloseTo(1, 6);
  });

  it('releases a factor from its bound when the gradient points back inside', () => {
    // Minimum (0.5, 0.5) inside the box; the fit starts with x0 on its upper bound.
    const { problem, gradient, start } = linearProblem(
      [
        [1, 0],
        [-4, 4],
      ],
      [0.5, 0],
      [-10, -10],
      [1, 10],
    );
    const fit = minimiseBounded(problem, start([1, 3]), 10);
    const g = gradient(fit.x);
    expect(Math.hypot(g[0]!, g[1]!)).toBeLessThan(1e-4);
    expect(fit.x[0]).toBeCloseTo(0.5, 4);
  });

  it('holds a factor the step pushes past its bound and re-solves the others with it held', () => {
    // From (0, 0) the free Gauss–Newton step is (2, 2); with x0 held at 1, x1's own equation gives 1.
    const { problem, start } = coupled();
    const at = start([0, 0]);
    const { jtj, jtr } = problem.normalEquations(at.x, at.state);
    const step = boundedStep(jtj, jtr, 0, at.x, problem.bounds);
    expect(step[0]).toBe(1);
    expect(step[1]).toBeCloseTo(1, 6);
  });

  it('solves a linear system with pivoting', () => {
    const x = solveLinear(
      [
        [0, 2],
        [3, 1],
      ],
      [4, 5],
    );
    expect(x[0]).toBeCloseTo(1, 12);
    expect(x[1]).toBeCloseTo(2, 12);
  });
});

import type { Knowledge } from '../knowledge/catalog.js';
import type { DeploymentConfig } from '../planner/index.js';
import type { PlannedOption } from '../planner/plan.js';
import { deploymentConfigOf } from '../planner/plan.js';
import type { DeploymentSpec } from '../spec/schema.js';
import { measuredLevels, predictedCurve } from './curve.js';
import type { LoadChart } from './render.js';

/**
 * The chart of one configuration: one replica's prediction against the request rate (reaching as far as the
 * measurements do), the measured points of exactly that configuration, and the targets to shade.
 */
export function configurationChart(
  config: DeploymentConfig,
  knowledge: Knowledge,
  drawn: { basis: string; slo: LoadChart['slo'] },
): LoadChart {
  const measured = measuredLevels(config, knowledge.benchmarks);
  return {
    title: `${config.modelId} (${config.precision}) on ${config.gpuCount}× ${config.gpuId}, TP ${config.tensorParallel}`,
    subtitle: `${config.promptTokens} → ${config.outputTokens} tokens per request · one replica · prediction basis: ${drawn.basis} · ${measured.length} measured points`,
    predicted: predictedCurve(
      config,
      knowledge,
      Math.max(0, ...measured.map((level) => level.requestsPerSec)),
    ),
    measured,
    slo: drawn.slo,
  };
}

/** The chart of a planned option (its Details modal's), against the spec's TTFT and ITL targets. */
export function optionChart(option: PlannedOption, spec: DeploymentSpec, knowledge: Knowledge): LoadChart {
  return configurationChart(deploymentConfigOf(option, spec), knowledge, {
    basis: option.basis,
    slo: { ttftP95Ms: spec.slo.ttftP95Ms.value, itlP95Ms: spec.slo.itlP95Ms.value },
  });
}

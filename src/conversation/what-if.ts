import { FIGURE_MAX } from '../intent/bounds.js';
import type { Knowledge, Precision } from '../knowledge/catalog.js';
import { PRECISIONS, servedPrecisions } from '../knowledge/catalog.js';
import type { WhatIfOverrides } from '../planner/plan.js';
import { TENSOR_PARALLEL_DEGREES } from '../planner/plan.js';
import type { FormField, FormValues } from '../slack/blocks/form.js';
import type { FormResult } from './form.js';
import { formReader } from './form.js';
import type { WhatIfSession } from './schema.js';

/** The what-if form's fields by name. */
export const WHAT_IF_FIELD = {
  model: 'model',
  precision: 'precision',
  gpu: 'gpu',
  tensorParallel: 'tp',
  gpuCount: 'gpu_count',
  peakQps: 'peak_qps',
  ttft: 'ttft',
  itl: 'itl',
  e2e: 'e2e',
} as const;

type Session = Pick<WhatIfSession, 'baseline' | 'spec' | 'overrides'>;

/** The changes a what-if can make, prefilled with the last ones asked for, else the baseline's values. */
export function whatIfFields({ baseline, spec, overrides }: Session, knowledge: Knowledge): FormField[] {
  const slo = {
    ttftP95Ms: overrides.slo?.ttftP95Ms ?? spec.slo.ttftP95Ms.value,
    itlP95Ms: overrides.slo?.itlP95Ms ?? spec.slo.itlP95Ms.value,
    e2eP95Ms: overrides.slo?.e2eP95Ms ?? spec.slo.e2eP95Ms.value,
  };
  return [
    {
      kind: 'select',
      name: WHAT_IF_FIELD.model,
      label: 'Model',
      value: overrides.modelId ?? baseline.modelId,
      options: knowledge.models.map((model) => ({ value: model.id, label: model.name, group: model.family })),
    },
    {
      kind: 'select',
      name: WHAT_IF_FIELD.precision,
      label: 'Precision',
      value: overrides.precision ?? baseline.precision,
      options: PRECISIONS.map((precision) => ({ value: precision, label: precision })),
    },
    {
      kind: 'select',
      name: WHAT_IF_FIELD.gpu,
      label: 'GPU type',
      value: overrides.gpuId ?? baseline.gpuId,
      options: knowledge.gpus.map((gpu) => ({ value: gpu.id, label: `${gpu.id} (${gpu.memoryGb} GB)` })),
    },
    {
      kind: 'select',
      name: WHAT_IF_FIELD.tensorParallel,
      label: 'Tensor parallelism (GPUs per replica)',
      value: String(overrides.tensorParallel ?? baseline.tensorParallel),
      options: TENSOR_PARALLEL_DEGREES.map((degree) => ({ value: String(degree), label: `TP${degree}` })),
    },
    {
      kind: 'number',
      name: WHAT_IF_FIELD.gpuCount,
      label: 'GPUs in total',
      value: overrides.gpuCount ?? baseline.gpuCount,
      decimals: false,
      optional: true,
      hint: 'Left as the baseline’s (or empty), Compass sizes the replicas for the peak load.',
    },
    {
      kind: 'number',
      name: WHAT_IF_FIELD.peakQps,
      label: 'Peak load (requests/s)',
      value: overrides.peakQps ?? spec.traffic.peakQps.value,
      decimals: true,
    },
    {
      kind: 'number',
      name: WHAT_IF_FIELD.ttft,
      label: 'TTFT p95 target (ms)',
      value: slo.ttftP95Ms,
      decimals: true,
    },
    {
      kind: 'number',
      name: WHAT_IF_FIELD.itl,
      label: 'ITL p95 target (ms)',
      value: slo.itlP95Ms,
      decimals: true,
    },
    {
      kind: 'number',
      name: WHAT_IF_FIELD.e2e,
      label: 'E2E p95 target (ms)',
      value: slo.e2eP95Ms,
      decimals: true,
    },
  ];
}

/**
 * A submitted what-if form as the planner's overrides (only what differs from the baseline), or a message per bad
 * field: the model must be served at the precision, the GPU's node must hold the tensor parallelism, and a GPU
 * count must be whole replicas.
 */
export function readWhatIfForm(
  { baseline, spec }: Pick<WhatIfSession, 'baseline' | 'spec'>,
  values: FormValues,
  knowledge: Knowledge,
): FormResult<WhatIfOverrides> {
  const read = formReader(values);
  const modelId = read.choice(
    WHAT_IF_FIELD.model,
    knowledge.models.map((model) => model.id),
  );
  const precision = read.choice<Precision>(WHAT_IF_FIELD.precision, PRECISIONS);
  const gpuId = read.choice(
    WHAT_IF_FIELD.gpu,
    knowledge.gpus.map((gpu) => gpu.id),
  );
  const tpText = read.choice(WHAT_IF_FIELD.tensorParallel, TENSOR_PARALLEL_DEGREES.map(String));
  const gpuCount = read.number(WHAT_IF_FIELD.gpuCount, {
    integer: true,
    min: 1,
    max: 10_000,
    optional: true,
  });
  const peakQps = read.number(WHAT_IF_FIELD.peakQps, { max: FIGURE_MAX.qps });
  const ttft = read.number(WHAT_IF_FIELD.ttft, { max: FIGURE_MAX.ttftP95Ms });
  const itl = read.number(WHAT_IF_FIELD.itl, { max: FIGURE_MAX.itlP95Ms });
  const e2e = read.number(WHAT_IF_FIELD.e2e, { max: FIGURE_MAX.e2eP95Ms });
  const tensorParallel = tpText === undefined ? undefined : Number(tpText);
  const model = knowledge.models.find((candidate) => candidate.id === modelId);
  if (model && precision && !model.precisions.some((served) => served.precision === precision)) {
    read.fail(WHAT_IF_FIELD.precision, `${model.name} is served in ${servedPrecisions(model).join(', ')}.`);
  }
  const gpu = knowledge.gpus.find((candidate) => candidate.id === gpuId);
  if (gpu && tensorParallel !== undefined && tensorParallel > gpu.maxPerNode)
    read.fail(WHAT_IF_FIELD.tensorParallel, `A ${gpu.id} node holds at most ${gpu.maxPerNode} GPUs.`);
  const countChanged = gpuCount !== undefined && gpuCount !== null && gpuCount !== baseline.gpuCount;
  if (countChanged && tensorParallel !== undefined && gpuCount % tensorParallel !== 0)
    read.fail(
      WHAT_IF_FIELD.gpuCount,
      `Must be whole replicas: a multiple of the tensor parallelism (${tensorParallel}).`,
    );
  return read.result(() => {
    const overrides: WhatIfOverrides = {};
    if (modelId !== baseline.modelId) overrides.modelId = modelId!;
    if (precision !== baseline.precision) overrides.precision = precision!;
    if (gpuId !== baseline.gpuId) overrides.gpuId = gpuId!;
    if (tensorParallel !== baseline.tensorParallel) overrides.tensorParallel = tensorParallel!;
    if (countChanged) overrides.gpuCount = gpuCount!;
    if (peakQps !== spec.traffic.peakQps.value) overrides.peakQps = peakQps!;
    const slo: NonNullable<WhatIfOverrides['slo']> = {};
    if (ttft !== spec.slo.ttftP95Ms.value) slo.ttftP95Ms = ttft!;
    if (itl !== spec.slo.itlP95Ms.value) slo.itlP95Ms = itl!;
    if (e2e !== spec.slo.e2eP95Ms.value) slo.e2eP95Ms = e2e!;
    if (Object.keys(slo).length > 0) overrides.slo = slo;
    return overrides;
  });
}

import type { Model, Precision, UseCaseId } from '../knowledge/catalog.js';

/**
 * Share of the bf16 quality a quantized checkpoint keeps. Red Hat's evaluation of quantized Llama 3.1 models
 * (https://developers.redhat.com/articles/2024/10/17/we-ran-over-half-million-evaluations-quantized-llms) found FP8
 * (W8A8) recovering ~99–100% of the baseline and INT4 weight-only (W4A16) ~97–99% on average; we take the
 * conservative ends so quantization shows its trade-off rather than hiding it.
 */
export const QUALITY_RETENTION: Record<Precision, number> = {
  bf16: 1,
  fp8: 0.99,
  // The same study: W8A8-INT8 recovers ~99% as FP8 does.
  w8a8: 0.99,
  int4: 0.97,
  // 4-bit floats are taken as W4A16 is: NVIDIA reports NVFP4 within ~1% of FP8, the conservative end again.
  mxfp4: 0.97,
  nvfp4: 0.97,
};

/** The model's 0–100 quality for the use case at the precision served; null when the catalog has no score. */
export function qualityOf(model: Model, useCase: UseCaseId, precision: Precision): number | null {
  const score = model.quality[useCase];
  return score === undefined ? null : Math.round(score * QUALITY_RETENTION[precision] * 10) / 10;
}

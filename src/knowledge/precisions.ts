/**
 * Served weight precisions, in a module of their own so the CLI's option parser can list them without zod.
 * `fp8`: 8-bit float weights (and activations where the GPU has FP8 tensor cores). `w8a8`: 8-bit integer weights and
 * activations (llm-compressor W8A8-INT8). `int4`: 4-bit integer weights with 16-bit activations (W4A16: AWQ, GPTQ,
 * compressed-tensors). `mxfp4`: OCP microscaling 4-bit float weights (gpt-oss). `nvfp4`: NVIDIA's 4-bit float with
 * FP8 block scales, served on Blackwell's FP4 tensor cores.
 */
export const PRECISIONS = ['bf16', 'fp8', 'w8a8', 'int4', 'mxfp4', 'nvfp4'] as const;

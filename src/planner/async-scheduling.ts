/**
 * Whether a vLLM release runs its async scheduler when the serve command leaves the flag unset (neither
 * --async-scheduling nor --no-async-scheduling), for the deployments Compass renders.
 *
 * `SchedulerConfig.async_scheduling` defaults to None (vllm/config/scheduler.py), which `VllmConfig.__post_init__`
 * (vllm/config/vllm.py, the `elif self.scheduler_config.async_scheduling is None:` branch, "Enable async scheduling
 * unless there is an incompatible option") resolves to True unless the engine runs a configuration it excludes:
 * a pooling model, speculative decoding other than EAGLE/MTP (and, later, n-gram on GPU and draft models), a
 * drafter with `disable_padded_drafter_batch`, or an executor without async support. Compass deploys none of the
 * first three; the executor is the one that varies (see `asyncSchedulingByDefault`). Before v0.14.0 the flag
 * defaulted to False.
 *
 * Hybrid (Mamba / linear-attention) models are no exception in the releases Compass deploys: vllm-project/vllm#33352
 * turned async scheduling off for hybrid models serving with prefix caching (end of January 2026: "Async scheduling
 * has been enabled by default since v0.14.0. Currently, Mamba prefix caching ("all" and "align" modes) does not
 * support it"), vllm-project/vllm#33997 made the "align" mode (the one Qwen3.5's gated-delta-net layers get) work
 * with it again, on main by 2026-03-12 (vllm-project/vllm#36879 fixes a regression of it), and vLLM 0.20.0 serving
 * Qwen3.6-35B-A3B with --enable-prefix-caching logs "Mamba cache mode is set to 'align'" then "Asynchronous scheduling
 * is enabled" (vllm/config/vllm.py:840); later default branches have no Mamba case. Besides, hybrid models run
 * without prefix caching unless the serve command asks for it (`_set_default_args` in vllm/engine/arg_utils.py:
 * "Disable prefix caching default for hybrid models since the feature is still experimental"; on by default only
 * from v0.28.0), and Compass's manifests do not.
 */

import { atLeast, releaseOf } from './assumptions.js';

/**
 * v0.14.0 turned async scheduling on by default (vllm-project/vllm#27614; release notes: "Async scheduling is now
 * enabled by default ... Excludes some not-yet-supported configurations: pipeline parallel, CPU backend,
 * non-MTP/Eagle spec decoding").
 */
const DEFAULT_ON_SINCE: readonly [number, number, number] = [0, 14, 0];

/**
 * Whether `version` schedules asynchronously by default for a replica of `pipelineParallel` stages, which Compass
 * runs one per node through vLLM's Ray executor (`--distributed-executor-backend ray`, src/deploy/render.ts). v0.14.0
 * excluded pipeline parallelism outright (a `pipeline_parallel_size > 1` branch of the default); later releases
 * support it on the multiprocessing executor (vllm-project/vllm#32359) but not through Ray: vLLM 0.17.1 serving
 * PP 2 over Ray logs "Async scheduling will be disabled because it is not supported with the `ray` distributed
 * executor backend (only `mp`, `uni`, and `external_launcher` are supported)" from vllm/config/vllm.py:736, then
 * "Asynchronous scheduling is disabled" from :747 (gpustack/gpustack#4979), and Ray with
 * PP > 1 was still blocked in April 2026 (vllm-project/vllm#40084, "Previously this combination was explicitly
 * blocked").
 */
export function asyncSchedulingByDefault(version: string, pipelineParallel: number): boolean {
  const release = releaseOf(version);
  if (release === null || !atLeast(release, DEFAULT_ON_SINCE)) return false;
  return pipelineParallel === 1;
}

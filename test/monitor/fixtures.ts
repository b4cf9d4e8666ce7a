/** A planned deployment to monitor (Llama 3.1 8B int4 on L4 for a 1000-user chatbot) and observations. */
import type { Knowledge } from '../../src/knowledge/catalog.js';
import { readCatalogFiles } from '../../src/knowledge/data-files.js';
import { Observation } from '../../src/monitor/index.js';
import { type PlannedOption, planDeployment, sloOf } from '../../src/planner/index.js';
import type { Slo } from '../../src/planner/schema.js';
import { buildSpec, type DeploymentSpec } from '../../src/spec/index.js';
import { intentWith } from '../fixtures/intent.js';

export interface Deployed {
  knowledge: Knowledge;
  spec: DeploymentSpec;
  option: PlannedOption;
  targets: Slo;
}

let deployed: Deployed | undefined;

export function deployedOption(): Deployed {
  if (!deployed) {
    const knowledge: Knowledge = { ...readCatalogFiles(), benchmarks: [] };
    const spec = buildSpec(
      intentWith({
        useCase: 'chatbot_conversational',
        users: 1000,
        gpuTypes: ['L4'],
        models: ['meta-llama/Llama-3.1-8B-Instruct'],
        // Every request the mean length: the scenarios' figures were written for the int4 option on one L4, which
        // the chatbot's published length spread moves out of the TTFT target (its long prompts).
        promptTokensCv: 0,
        outputTokensCv: 0,
      }),
      knowledge.useCases,
    );
    // The int4 option, as the scenarios were written for it (the model is also served at fp8 and W8A8).
    const option = planDeployment(spec, knowledge).recommendations.find((o) => o.precision === 'int4');
    if (!option) throw new Error('the fixture plan has no option');
    deployed = { knowledge, spec, option, targets: sloOf(spec) };
  }
  return deployed;
}

export const AT = '2026-05-01T12:00:00.000Z';

/** An observation with every figure present and healthy, changed by `overrides`. */
export function observation(overrides: Partial<Observation> = {}): Observation {
  return Observation.parse({
    selector: '{namespace="llm",compass_dev_deploy_id="d-1"}',
    windowSec: 300,
    at: AT,
    ttftP95Ms: 300,
    itlP95Ms: 30,
    e2eP95Ms: 9000,
    requestsPerSec: 2,
    generationTokensPerSec: 500,
    promptTokensPerSec: 1000,
    meanPromptTokens: 500,
    meanOutputTokens: 250,
    httpErrorRate: null,
    abortedShare: 0,
    queueDepth: 0,
    queueDepthMax: 0,
    runningRequests: 4,
    kvCacheUsage: 0.3,
    kvCacheUsageMax: 0.5,
    replicas: 3,
    ...overrides,
  });
}

/** An observation of a window without requests: rates zero, quantiles and means without data. */
export function idleObservation(overrides: Partial<Observation> = {}): Observation {
  return observation({
    ttftP95Ms: null,
    itlP95Ms: null,
    e2eP95Ms: null,
    requestsPerSec: 0,
    generationTokensPerSec: 0,
    promptTokensPerSec: 0,
    meanPromptTokens: null,
    meanOutputTokens: null,
    abortedShare: null,
    runningRequests: 0,
    kvCacheUsage: 0,
    kvCacheUsageMax: 0,
    ...overrides,
  });
}

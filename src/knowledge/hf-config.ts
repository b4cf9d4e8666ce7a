/**
 * Reads a Hugging Face `config.json` and derives what the performance model needs: the architecture figures, total
 * and active parameters, KV-cache bytes per token, the context window and the precision the checkpoint is served at.
 * Pure: the caller reads the file. Field names and the defaults used for absent fields follow transformers'
 * configuration class of each family (`src/transformers/models/<model_type>/configuration_<model_type>.py`).
 */
import { kvValuesPerTokenPerLayer, layoutOf, parameterCounts } from './architecture.js';
import type { ModelArchitecture, Precision, UseCase, UseCaseId } from './catalog.js';
import { Model, USE_CASE_IDS } from './catalog.js';
import type { ArchitectureFamily, Json } from './hf-families/index.js';
import { configFields, FAMILIES, fieldsOf, isObject, present, TEXT_WRAPPERS } from './hf-families/index.js';

/** Every model_type `readHfConfig` accepts, for help texts and errors. */
export const UNDERSTOOD_MODEL_TYPES = [...Object.keys(FAMILIES), ...Object.keys(TEXT_WRAPPERS)].sort();

/** A config.json Compass cannot use, with every problem, each naming the field(s) concerned. */
export class HfConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(
      `Cannot use this config.json (${problems.length} ${problems.length === 1 ? 'problem' : 'problems'}):\n` +
        problems.map((problem) => `  - ${problem}`).join('\n'),
    );
    this.name = 'HfConfigError';
  }
}

/** What a config.json says about a model, in the catalog's terms. */
export interface HfModelFacts {
  modelType: string;
  family: string;
  architectures: string[];
  architecture: ModelArchitecture;
  contextWindow: number;
  /** Precision the checkpoint is served at, from its dtype and quantization_config. */
  precision: Precision;
  paramsTotal: number;
  /** Parameters one token passes through: the routed experts only, plus everything else. */
  paramsActive: number;
  /** KV cache one token takes across all layers at 16-bit (vLLM's kv_cache_dtype=auto). */
  kvBytesPerToken: number;
  /** `_name_or_path` when the config records a Hugging Face id. */
  hubId: string | null;
  /** What was assumed rather than read, for the user to check. */
  notes: string[];
}

const HUB_ID = /^[\w.-]+\/[\w.-]+$/;

/**
 * Reads a parsed config.json. Throws HfConfigError naming every missing, malformed or contradictory field, or the
 * architecture when Compass does not understand it; never returns partial facts.
 */
export function readHfConfig(config: unknown): HfModelFacts {
  if (!isObject(config)) throw new HfConfigError(['the file is not a JSON object']);
  const modelType = config.model_type;
  if (typeof modelType !== 'string' || modelType === '') {
    throw new HfConfigError(['model_type is missing: it names the architecture (e.g. "llama")']);
  }
  const architectures = Array.isArray(config.architectures)
    ? config.architectures.filter((a): a is string => typeof a === 'string')
    : [];
  const problems: string[] = [];
  const notes: string[] = [];

  // Own keys only: a model_type such as "toString" must not find Object.prototype's members.
  const wrapped = Object.hasOwn(TEXT_WRAPPERS, modelType) ? TEXT_WRAPPERS[modelType] : undefined;
  let text = config;
  let prefix = '';
  let textType = modelType;
  if (wrapped !== undefined) {
    if (!isObject(config.text_config)) throw new HfConfigError(['text_config is missing']);
    text = config.text_config;
    prefix = 'text_config.';
    textType = typeof text.model_type === 'string' ? text.model_type : wrapped[0]!;
    if (!wrapped.includes(textType)) {
      throw new HfConfigError([
        `text_config.model_type is "${textType}"; a ${modelType} config holds ${wrapped.map((type) => `"${type}"`).join(' or ')}`,
      ]);
    }
  }
  const family = Object.hasOwn(FAMILIES, textType) ? FAMILIES[textType] : undefined;
  if (!family) throw new HfConfigError([notUnderstood(config, modelType, architectures)]);

  const reading = family.read(configFields(text, prefix, textType, problems, notes));
  const tiedEmbeddings = tiedEmbeddingsOf(config, text, prefix, family, problems, notes);
  const precision = precisionOf(config, text, prefix, problems, notes);

  // precisionOf records a problem whenever it has no precision.
  if (problems.length > 0 || precision === undefined) throw new HfConfigError(problems);

  const architecture: ModelArchitecture = { ...reading.architecture, tiedEmbeddings };
  if (wrapped !== undefined && isObject(config.vision_config)) {
    notes.push('the vision encoder (vision_config) is not counted: parameters are the language model only');
  }
  const counts = parameterCounts(architecture);
  const nameOrPath = typeof config._name_or_path === 'string' ? config._name_or_path : '';
  return {
    modelType,
    family: family.family,
    architectures,
    architecture,
    contextWindow: reading.contextWindow,
    precision,
    paramsTotal: counts.total,
    paramsActive: counts.active,
    kvBytesPerToken: layoutOf(architecture).attentionLayers * kvValuesPerTokenPerLayer(architecture) * 2,
    hubId: HUB_ID.test(nameOrPath) ? nameOrPath : null,
    notes,
  };
}

function notUnderstood(config: Json, modelType: string, architectures: string[]): string {
  const named = architectures.length ? ` (${architectures.join(', ')})` : '';
  return `model_type "${modelType}"${named} is not an architecture Compass understands; it reads ${UNDERSTOOD_MODEL_TYPES.join(', ')}${missingHint(config)}`;
}

/** What a config that is not understood has that Compass would need a model of, so the refusal says what is missing. */
function missingHint(config: Json): string {
  const text = isObject(config.text_config) ? config.text_config : config;
  if (present(text.kv_lora_rank)) {
    return '. It uses multi-head latent attention (kv_lora_rank); Compass reads that for deepseek_v3, deepseek_v32 and kimi_k2 layouts only';
  }
  if (Array.isArray(text.layer_types) || present(text.hybrid_override_pattern)) {
    return '. Its layers are not all alike (layer_types / hybrid_override_pattern); a new architecture module must say how each kind is sized';
  }
  return '';
}

function tiedEmbeddingsOf(
  config: Json,
  text: Json,
  prefix: string,
  family: ArchitectureFamily,
  problems: string[],
  notes: string[],
): boolean {
  const inner = fieldsOf(text, prefix, problems).bool('tie_word_embeddings');
  const outer = text === config ? undefined : fieldsOf(config, '', problems).bool('tie_word_embeddings');
  if (inner !== undefined && outer !== undefined && inner !== outer) {
    problems.push(`${prefix}tie_word_embeddings (${inner}) and tie_word_embeddings (${outer}) disagree`);
  }
  const stated = inner ?? outer;
  if (stated !== undefined) return stated;
  notes.push(
    `tie_word_embeddings is absent: ${family.tiedEmbeddings} (transformers' default for this family)`,
  );
  return family.tiedEmbeddings;
}

const SIXTEEN_BIT_DTYPES = new Set(['bfloat16', 'float16', 'float32']);

/**
 * The served precision: the quantization method when there is one, else the dtype. 16-bit (and float32, which vLLM
 * serves at 16 bits) is bf16; FP8 checkpoints are fp8; 4-bit weights (AWQ, GPTQ, compressed-tensors w4a16, MXFP4)
 * are int4.
 */
function precisionOf(
  config: Json,
  text: Json,
  prefix: string,
  problems: string[],
  notes: string[],
): Precision | undefined {
  const quantization = config.quantization_config ?? text.quantization_config;
  if (present(quantization)) {
    if (!isObject(quantization)) {
      problems.push('quantization_config must be an object');
      return undefined;
    }
    return quantizedPrecision(quantization, problems);
  }
  const dtypes = [
    ['torch_dtype', config.torch_dtype],
    ['dtype', config.dtype],
    [`${prefix}torch_dtype`, text === config ? undefined : text.torch_dtype],
    [`${prefix}dtype`, text === config ? undefined : text.dtype],
  ].filter(([, value]) => present(value)) as [string, unknown][];
  const distinct = [...new Set(dtypes.map(([, value]) => JSON.stringify(value)))];
  if (distinct.length > 1) {
    problems.push(
      `${dtypes.map(([name, value]) => `${name} (${JSON.stringify(value)})`).join(' and ')} disagree`,
    );
    return undefined;
  }
  const [named] = dtypes;
  if (!named) {
    notes.push('torch_dtype is absent: 16-bit weights assumed (bf16)');
    return 'bf16';
  }
  const [name, dtype] = named;
  if (typeof dtype !== 'string' || !SIXTEEN_BIT_DTYPES.has(dtype)) {
    problems.push(
      `${name} ${JSON.stringify(dtype)} without a quantization_config is not a weight type Compass plans for (bfloat16, float16, float32)`,
    );
    return undefined;
  }
  if (dtype === 'float32') notes.push('torch_dtype is float32: vLLM serves it at 16 bits (bf16)');
  return 'bf16';
}

const QUANT_METHODS = ['fp8', 'fbgemm_fp8', 'awq', 'gptq', 'compressed-tensors', 'mxfp4', 'modelopt'];

function quantizedPrecision(quantization: Json, problems: string[]): Precision | undefined {
  const method = quantization.quant_method;
  switch (method) {
    case 'fp8':
    case 'fbgemm_fp8':
      return 'fp8';
    case 'mxfp4':
      return 'mxfp4';
    case 'modelopt': {
      // NVIDIA ModelOpt checkpoints (hf_quant_config.json folded into config.json): FP8 or NVFP4.
      const algorithm = quantization.quant_algo;
      if (algorithm === 'FP8') return 'fp8';
      if (algorithm === 'NVFP4') return 'nvfp4';
      problems.push(
        `quantization_config.quant_algo is ${JSON.stringify(algorithm)}: modelopt checkpoints are understood as FP8 or NVFP4`,
      );
      return undefined;
    }
    case 'awq':
    case 'gptq': {
      const bits = quantization.bits ?? quantization.w_bit;
      if (bits === 4) return 'int4';
      problems.push(
        `quantization_config.bits is ${JSON.stringify(bits)}: ${method} checkpoints are understood with 4-bit weights only`,
      );
      return undefined;
    }
    case 'compressed-tensors':
      return compressedTensorsPrecision(quantization, problems);
    default:
      problems.push(
        `quantization_config.quant_method ${JSON.stringify(method)} is not understood; Compass reads ${QUANT_METHODS.join(', ')}`,
      );
      return undefined;
  }
}

/**
 * llm-compressor checkpoints: every `config_groups.*.weights` must agree. 8-bit floats are FP8; 8-bit integers with
 * 8-bit activations W8A8; 4-bit integers W4A16; 4-bit floats in blocks of 16 NVFP4.
 */
function compressedTensorsPrecision(quantization: Json, problems: string[]): Precision | undefined {
  const groups = isObject(quantization.config_groups) ? Object.entries(quantization.config_groups) : [];
  const schemes = new Set(
    groups.map(([, group]) => {
      const weights = isObject(group) && isObject(group.weights) ? group.weights : {};
      const activations = isObject(group) && isObject(group.input_activations) ? group.input_activations : {};
      const scheme = `${weights.num_bits}-bit ${weights.type}`;
      return scheme === '8-bit int' && activations.num_bits === 8 ? `${scheme} (8-bit activations)` : scheme;
    }),
  );
  const [scheme, ...others] = [...schemes];
  if (scheme === undefined) {
    problems.push('quantization_config.config_groups is missing: it says how the weights are stored');
    return undefined;
  }
  if (others.length > 0) {
    problems.push(`quantization_config.config_groups mix ${[...schemes].join(' and ')} weights`);
    return undefined;
  }
  if (scheme === '8-bit float') return 'fp8';
  if (scheme === '8-bit int (8-bit activations)') return 'w8a8';
  if (scheme === '4-bit int') return 'int4';
  if (scheme === '4-bit float') return 'nvfp4';
  problems.push(
    `quantization_config.config_groups store ${scheme} weights; Compass plans FP8, W8A8 and 4-bit weights only`,
  );
  return undefined;
}

/**
 * The use cases an imported model is offered for: those asked for, or, when none are, every use case whose default
 * request (prompt + output tokens) fits the context window. Throws HfConfigError naming a task that does not exist or
 * does not fit.
 */
export function supportedTasks(
  contextWindow: number,
  useCases: readonly UseCase[],
  requested?: readonly string[],
): UseCaseId[] {
  const needs = (useCase: UseCase) => useCase.traffic.promptTokens + useCase.traffic.outputTokens;
  if (requested === undefined || requested.length === 0) {
    const fitting = useCases.filter((useCase) => needs(useCase) <= contextWindow).map(({ id }) => id);
    if (fitting.length === 0) {
      throw new HfConfigError([
        `a ${contextWindow}-token context window holds no use case's default request; the smallest needs ${Math.min(...useCases.map(needs))}`,
      ]);
    }
    return fitting;
  }
  const problems: string[] = [];
  const tasks = [...new Set(requested)].flatMap((task) => {
    const useCase = useCases.find(({ id }) => id === task);
    if (!useCase) {
      problems.push(`task "${task}" is not a use case; known: ${USE_CASE_IDS.join(', ')}`);
      return [];
    }
    if (needs(useCase) > contextWindow) {
      problems.push(
        `task ${task} needs ${needs(useCase)} tokens of context but the context window is ${contextWindow}`,
      );
    }
    return [useCase.id];
  });
  if (problems.length > 0) throw new HfConfigError(problems);
  return tasks;
}

export interface ImportedModelOptions {
  /** Hugging Face style owner/name. */
  id: string;
  license?: string;
  tasks: UseCaseId[];
  /** Where the config.json was read, as a URL (file:// for a local file). */
  sourceUrl: string;
  /** A 0–100 quality score the user vouches for, applied to every task; absent = unknown. */
  quality?: number;
}

/**
 * The catalog entry for an imported model: the config's facts, served at its own precision from its own checkpoint,
 * with quality unknown (no benchmark evidence) until someone scores it.
 */
export function importedModel(facts: HfModelFacts, options: ImportedModelOptions): Model {
  const parsed = Model.safeParse({
    id: options.id,
    name: options.id.slice(options.id.indexOf('/') + 1),
    family: facts.family,
    aliases: [],
    paramsTotalB: billions(facts.paramsTotal),
    paramsActiveB: billions(facts.paramsActive),
    architecture: facts.architecture,
    contextWindow: facts.contextWindow,
    license: options.license ?? 'unknown',
    tasks: options.tasks,
    precisions: [{ precision: facts.precision, checkpoint: options.id }],
    quality:
      options.quality === undefined
        ? {}
        : Object.fromEntries(options.tasks.map((task) => [task, options.quality])),
    qualityEvidence: [],
    sources: [
      {
        url: options.sourceUrl,
        title: `config.json (${facts.modelType}) imported with compass models import`,
        covers: ['architecture', 'contextWindow', 'paramsTotalB', 'paramsActiveB', 'precisions'],
      },
    ],
  });
  if (!parsed.success) {
    throw new HfConfigError(
      parsed.error.issues.map((issue) => `${issue.path.join('.') || 'model'}: ${issue.message}`),
    );
  }
  return parsed.data;
}

/** Billions to the nearest million: finer than any published count, and stable across re-imports. */
const billions = (count: number) => Math.round(count / 1e6) / 1e3;

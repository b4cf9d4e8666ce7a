import type { ExtractionVocabulary } from '../../src/intent/schema.js';
import { readCatalogFiles } from '../../src/knowledge/data-files.js';

/** The words of the real catalog in data/, so the tests exercise the aliases users will actually hit. */
export const catalogVocabulary: ExtractionVocabulary = (() => {
  const { gpus, models } = readCatalogFiles();
  return { gpus, models };
})();

/** Ids of the catalog's models of one family, sorted: what a bare family word stands for. */
export function familyIds(family: string): string[] {
  return catalogVocabulary.models
    .filter((model) => model.family === family)
    .map((model) => model.id)
    .sort();
}

/** Ids of every catalog GPU but `excluded`, sorted: what "no MI300X" or "anything but AMD" allows. */
export function gpusBut(...excluded: string[]): string[] {
  return catalogVocabulary.gpus
    .map((gpu) => gpu.id)
    .filter((id) => !excluded.includes(id))
    .sort();
}

/**
 * A small vocabulary whose shape the alias tests rely on whatever data/ says: a GPU series sold in two sizes with
 * no alias for the bare series ("a100" then means both), and families with several members.
 */
export const fixtureVocabulary: ExtractionVocabulary = {
  gpus: [
    { id: 'L4', aliases: ['l4', 'nvidia l4'] },
    { id: 'A10G', aliases: ['a10g', 'nvidia a10g'] },
    { id: 'L40S', aliases: ['l40s', 'nvidia l40s'] },
    { id: 'A100-40GB', aliases: ['a100 40gb', 'a100-40'] },
    { id: 'A100-80GB', aliases: ['a100 80gb', 'a100-80'] },
    { id: 'H100', aliases: ['h100', 'h100 sxm', 'h100 80gb'] },
    { id: 'H200', aliases: ['h200', 'h200 sxm'] },
    { id: 'B200', aliases: ['b200'] },
    { id: 'MI300X', aliases: ['mi300x', 'instinct mi300x'] },
  ],
  models: [
    {
      id: 'meta-llama/Llama-3.1-8B-Instruct',
      name: 'Llama 3.1 8B Instruct',
      family: 'llama',
      aliases: ['llama 3.1 8b', 'llama3.1-8b'],
    },
    {
      id: 'meta-llama/Llama-3.1-70B-Instruct',
      name: 'Llama 3.1 70B Instruct',
      family: 'llama',
      aliases: ['llama 3.1 70b'],
    },
    {
      id: 'meta-llama/Llama-3.3-70B-Instruct',
      name: 'Llama 3.3 70B Instruct',
      family: 'llama',
      aliases: ['llama 3.3 70b', 'llama 3.3'],
    },
    {
      id: 'Qwen/Qwen2.5-7B-Instruct',
      name: 'Qwen2.5 7B Instruct',
      family: 'qwen2.5',
      aliases: ['qwen 2.5 7b'],
    },
    { id: 'Qwen/Qwen2.5-72B-Instruct', name: 'Qwen2.5 72B Instruct', family: 'qwen2.5', aliases: [] },
    {
      id: 'Qwen/Qwen2.5-Coder-32B-Instruct',
      name: 'Qwen2.5 Coder 32B Instruct',
      family: 'qwen2.5',
      aliases: ['qwen coder'],
    },
    {
      id: 'mistralai/Mistral-7B-Instruct-v0.3',
      name: 'Mistral 7B Instruct v0.3',
      family: 'mistral',
      aliases: ['mistral 7b'],
    },
    { id: 'openai/gpt-oss-20b', name: 'gpt-oss-20b', family: 'gpt-oss', aliases: ['gpt-oss 20b'] },
    { id: 'openai/gpt-oss-120b', name: 'gpt-oss-120b', family: 'gpt-oss', aliases: ['gpt-oss 120b'] },
  ],
};

// Understanding a message before acting on it: what kind it is (rules first, the LLM as a second opinion), models
// named that the catalog cannot plan, and mistyped commands.
export { didYouMean, editDistance } from './commands.js';
export { llmOpinion } from './llm.js';
export type { UnavailableModel } from './models.js';
export { IMPORT_HINT, unavailableModelNotice, unavailableModels } from './models.js';
export { asksAboutSlos, classifyMessage } from './rules.js';
export type { Classification, Situation } from './schema.js';
export { MessageKind, PLANNING_KINDS } from './schema.js';

// Pure Block Kit builders: data in, Slack messages and modals out; every message carries a text fallback.
export type { ActionId } from './actions.js';
export { ACTION, VIEW } from './actions.js';
export {
  approvalRequestBlocks,
  approversLine,
  decisionNoticeBlocks,
  deployRequestView,
  rejectView,
  slackDate,
  targetText,
} from './approval.js';
export type { MemoryBreakdown, OptionDetails } from './details.js';
export { loadingView, MANIFEST_PREVIEW_BLOCK, noticeView, optionDetailsView } from './details.js';
export {
  changesBlocks,
  failureBlocks,
  helpBlocks,
  noticeBlocks,
  onboardingBlocks,
  questionBlocks,
  quickPlanBlocks,
  retiredPlanBlocks,
  stalePressBlocks,
  threadStarterBlocks,
} from './dialogue.js';
export type { FieldOption, FormField, FormValue, FormValues, InputState } from './form.js';
export { formValuesFromLine, formValuesOf, inputBlocks } from './form.js';
export type { HomeData, HomeDeployment, HomePlan, HomeSlo } from './home.js';
export { homeView } from './home.js';
export type { Block, ButtonElement, SlackHomeView, SlackMessage, SlackView, ViewBlock } from './kit.js';
export { clip, LIMITS } from './kit.js';
export type { RecommendationsOptions } from './recommendations.js';
export {
  conversationButtons,
  gpuLabel,
  modelLabel,
  optionButtons,
  optionSummary,
  recommendationsBlocks,
} from './recommendations.js';
export { specCardBlocks } from './spec-card.js';
export { specFormView } from './spec-form.js';
export type { Choice, RenderedMessage } from './text.js';
export { mrkdwnToPlain, renderAsText } from './text.js';
export { validateHomeView, validateMessage, validateView } from './validate.js';
export type { ScenarioState } from './what-if.js';
export { chosenOptionBlocks, compareView, SCENARIO_BLOCK, scenarioText, whatIfView } from './what-if.js';

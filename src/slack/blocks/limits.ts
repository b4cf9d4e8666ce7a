/**
 * Slack's documented limits for what Compass sends (https://docs.slack.dev/reference/block-kit/blocks,
 * …/block-kit/block-elements, …/block-kit/composition-objects, …/views/modal-views).
 */
export const LIMITS = {
  blocksPerMessage: 50,
  /** chat.postMessage truncates `text` beyond 40,000; 4,000 keeps notifications readable. */
  fallbackText: 4000,
  headerText: 150,
  sectionText: 3000,
  sectionFields: 10,
  fieldText: 2000,
  contextElements: 10,
  /** Per text element of a context block (the documented limit of a text object is 3000). */
  contextText: 3000,
  actionsElements: 25,
  imageUrl: 3000,
  imageAltText: 2000,
  imageTitle: 2000,
  buttonText: 75,
  buttonValue: 2000,
  actionId: 255,
  blockId: 255,
  blocksPerView: 100,
  viewTitle: 24,
  viewButton: 24,
  privateMetadata: 3000,
  callbackId: 255,
  inputLabel: 2000,
  inputHint: 2000,
  placeholder: 150,
  selectOptions: 100,
  /** …/composition-objects/option-group-object: 100 groups of 100 options, labels of 75. */
  optionGroups: 100,
  optionGroupLabel: 75,
  optionText: 75,
  optionValue: 150,
  textInputLength: 3000,
} as const;

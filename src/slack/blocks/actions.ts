/** action_id of every button Compass shows; the Slack handlers and `compass chat` dispatch on them. */
export const ACTION = {
  /** value: the option id (also What if… and Request deploy). */
  details: 'compass_details',
  /** On the spec card and under the recommendations; the thread says which conversation. */
  editSpec: 'compass_edit_spec',
  whatIf: 'compass_what_if',
  requestDeploy: 'compass_request_deploy',
  /** value: the request text of a /compass plan answer. */
  startThread: 'compass_start_thread',
  /** In the what-if modal; its private_metadata names the what-if. */
  compareScenario: 'compass_compare_scenario',
  useScenario: 'compass_use_scenario',
  /** In the Details modal (private_metadata: the conversation id); value: the option id. */
  postChart: 'compass_post_chart',
  /** value: the approval request id. */
  approve: 'compass_approve',
  reject: 'compass_reject',
} as const;
export type ActionId = (typeof ACTION)[keyof typeof ACTION];

/** callback_id of every modal Compass opens; view_submission handlers dispatch on them. */
export const VIEW = {
  /** private_metadata: the conversation id. */
  editSpec: 'compass_edit_spec_form',
  /** private_metadata: the what-if id (what_if_sessions). */
  whatIf: 'compass_what_if_form',
  compare: 'compass_compare_view',
  /** private_metadata: {"conversationId","optionId"} of the option to deploy. */
  requestDeploy: 'compass_deploy_request_form',
  /** private_metadata: the approval request id. */
  reject: 'compass_reject_form',
  /** Views without inputs: details (private_metadata: the conversation id), loading, notices. */
  info: 'compass_info_view',
} as const;

import type { ApprovalSettings } from '../approval/service.js';
import { createApprovalService } from '../approval/service.js';
import type { ApprovalStore } from '../approval/store.js';
import { createApprovalStore } from '../approval/store.js';
import type { ChartLinks, ChartRef } from '../chart/link.js';
import type { ConversationServiceDeps, ExtractIntent } from '../conversation/service.js';
import { createConversationService } from '../conversation/service.js';
import type { ConversationStore } from '../conversation/store.js';
import { createConversationStore } from '../conversation/store.js';
import type { Database } from '../db/client.js';
import { type ManifestSettings, planPolicy } from '../deploy/index.js';
import type { InboxSettings } from '../inbox/index.js';
import { createInbox, createInboxStore, INBOX_DEFAULTS } from '../inbox/index.js';
import type { KnowledgeSource } from '../knowledge/live.js';
import type { Logger } from '../log/index.js';
import type { MonitorSettings } from '../monitor/settings.js';
import type { HandlerDeps } from './handlers.js';
import { createHomeSource } from './home.js';
import { createMonitoringControls, monitoringSubcommands } from './monitoring.js';

/**
 * Everything the bot's handlers need, on one database: the conversations, the approvals that a changed spec
 * supersedes, and monitoring (`/compass slo`, `/compass digest`, Refresh) on PROMETHEUS_URL when it is set.
 */
export function createHandlerDeps(options: {
  db: Database;
  knowledge: KnowledgeSource;
  extract: ExtractIntent;
  log: Logger;
  settings: ApprovalSettings & {
    prometheusUrl?: string | undefined;
    monitor?: MonitorSettings;
    inbox?: InboxSettings;
    /** The manifests' settings: plans keep within their deploy policy (GPU quota, placeable GPUs). */
    manifests?: ManifestSettings;
  };
  manifestPreview?: ConversationServiceDeps['manifestPreview'];
  /** Signed links to option charts (COMPASS_PUBLIC_URL set): Details shows the chart, the bot serves it. */
  charts?: ChartLinks | undefined;
  /** Where plans run; in this thread when absent. */
  planning?: ConversationServiceDeps['planning'];
  /** The LLM's opinion on messages the classifier's rules are not sure of. */
  secondOpinion?: ConversationServiceDeps['secondOpinion'];
}): HandlerDeps & { store: ConversationStore; approvalStore: ApprovalStore } {
  const { db, knowledge, extract, log, settings, charts } = options;
  const store = createConversationStore(db);
  const approvalStore = createApprovalStore(db);
  const service = createConversationService({
    store,
    knowledge,
    extract,
    log,
    supersedeRequests: approvalStore.supersedeOpen,
    ...(options.planning && { planning: options.planning }),
    ...(options.manifestPreview && { manifestPreview: options.manifestPreview }),
    ...(charts && { chartUrl: (ref: ChartRef) => charts.url(ref, Date.now()) }),
    ...(options.secondOpinion && { secondOpinion: options.secondOpinion }),
    ...(settings.manifests && { policy: planPolicy({ manifests: settings.manifests }) }),
  });
  const approvals = createApprovalService({ store: approvalStore, conversations: store, settings, log });
  const monitoring = createMonitoringControls({
    db,
    knowledge,
    prometheusUrl: settings.prometheusUrl,
    settings: settings.monitor,
  });
  return {
    service,
    store,
    inbox: createInbox({ store: createInboxStore(db), settings: settings.inbox ?? INBOX_DEFAULTS, log }),
    log,
    approvals,
    approvalStore,
    monitoring,
    subcommands: monitoringSubcommands(monitoring),
    ...(charts && { charts }),
    home: createHomeSource({
      conversations: store,
      approvals: approvalStore,
      policy: approvals.policy,
      deploys: monitoring.deploys,
      monitor: monitoring.store,
      knowledge,
      log,
    }),
  };
}

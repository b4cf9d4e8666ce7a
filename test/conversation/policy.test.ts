import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConversationService } from '../../src/conversation/service.js';
import { createConversationStore } from '../../src/conversation/store.js';
import { ManifestSettings, planPolicy } from '../../src/deploy/index.js';
import { extractIntent } from '../../src/intent/index.js';
import { renderAsText } from '../../src/slack/blocks/text.js';
import { capturedLogger } from '../support/log.js';
import { type OpenTestDatabase, openTestDatabase } from '../support/postgres.js';
import { catalogKnowledge } from './dialogue.js';

/** The two plans `compass manifests` refused: beyond DEPLOY_GPU_QUOTA (8 by default). */
const SEVENTY_B = 'chatbot on Llama 3.1 70B with H100s, 2000 users, 50 req/s';
const MISTRAL = 'chatbot for 1000 users on Mistral 7B, 20 req/s, L4 only';

describe('conversation plans within the deploy policy', () => {
  let testDb: OpenTestDatabase;
  const knowledge = catalogKnowledge();
  const serviceWith = (settings: Partial<ManifestSettings>) => {
    const store = createConversationStore(testDb.database.db);
    const service = createConversationService({
      store,
      knowledge: () => knowledge,
      extract: async (text) => extractIntent(text, knowledge),
      log: capturedLogger().log,
      policy: planPolicy({ manifests: ManifestSettings.parse(settings) }),
    });
    return { store, service };
  };
  let thread = 0;
  const key = () => ({
    teamId: 'T1',
    channelId: 'C1',
    threadTs: `1700000000.${String(++thread).padStart(6, '0')}`,
  });

  beforeAll(async () => {
    testDb = await openTestDatabase();
  });
  afterAll(() => testDb.close());

  it.each([SEVENTY_B, MISTRAL])(
    '%s: every option fits DEPLOY_GPU_QUOTA; the ones beyond it are near misses naming the setting',
    async (text) => {
      const { store, service } = serviceWith({});
      const thread = key();
      const outcome = await service.handleMessage(thread, { text, userId: 'U1' }, true);
      const conversation = await store.find(thread);
      expect(conversation?.spec).not.toBeNull();
      for (const option of conversation!.options) expect(option.gpuCount, option.id).toBeLessThanOrEqual(8);
      const plan = outcome!.replies.find((reply) => reply.plan)!;
      expect(renderAsText(plan.message).text).toMatch(
        /DEPLOY_GPU_QUOTA is 8; to admit it, raise DEPLOY_GPU_QUOTA/,
      );
    },
  );

  it('keeps a one-off plan (/compass plan) within the quota too, and lets a simulator plan anything', async () => {
    const { service: quota1 } = serviceWith({ gpuQuota: 1 });
    expect(renderAsText(await quota1.quickPlan(SEVENTY_B)).text).toMatch(
      /DEPLOY_GPU_QUOTA is 1; to admit it, raise DEPLOY_GPU_QUOTA to \d+/,
    );
    // The simulator holds no GPUs: neither the quota nor placements limit its plans.
    const { service: simulator } = serviceWith({ gpuQuota: 1, simulator: true });
    expect(renderAsText(await simulator.quickPlan(SEVENTY_B)).text).not.toMatch(/DEPLOY_GPU_QUOTA/);
  });
});

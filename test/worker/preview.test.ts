import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ApprovalRequest } from '../../src/approval/schema.js';
import { loadConfig } from '../../src/config/index.js';
import { refOf } from '../../src/kube/index.js';
import { checkedManifests } from '../../src/worker/manifests.js';
import { dryRunPreview } from '../../src/worker/preview.js';
import { deployRequest, plannedOption } from '../fixtures/deploy.js';
import { type KubeFixture, kubeFixture } from '../kube/fixtures.js';

const NAME = 'llama-chat';
const config = loadConfig({ HOME: tmpdir(), DEPLOY_NAMESPACES: 'compass', DEPLOY_SIMULATOR: 'true' });

let kube: KubeFixture;
beforeEach(async () => {
  kube = await kubeFixture({ readiness: { kind: 'never' } });
});
afterEach(() => kube.close());

const conversationId = randomUUID();
const request = (over: Partial<ApprovalRequest> = {}) => deployRequest({ conversationId, ...over });

const preview = () => dryRunPreview({ config, name: async () => NAME, cluster: () => kube.client });

/** The target as an earlier deploy (with its own id) of the same conversation left it. */
async function deployedBefore() {
  const deployId = randomUUID();
  const rendered = checkedManifests(config)({
    id: deployId,
    conversationId,
    name: NAME,
    namespace: 'compass',
    ...plannedOption(),
  });
  if (!rendered.ok) throw new Error(rendered.problems.join('; '));
  expect((await kube.client.apply(rendered.objects)).ok).toBe(true);
  return { deployId, objects: rendered.objects };
}

const lines = (text: string) => text.split('\n').filter((line) => line.startsWith('• '));

describe('dryRunPreview against a target that exists', () => {
  it('does not report the deploy id the new deploy will carry as a change', async () => {
    const { deployId, objects } = await deployedBefore();
    const text = await preview()(request());
    expect(text).toContain('the API server accepts it');
    expect(lines(text)).toEqual(objects.map((o) => `• ${o.kind} compass/${o.metadata.name}: unchanged`));
    // A dry run: the live objects still carry the earlier deploy's id.
    for (const object of objects)
      expect(
        (kube.standIn.object(refOf(object)) as { metadata: { labels: Record<string, string> } }).metadata
          .labels,
      ).toMatchObject({ 'compass.dev/deploy-id': deployId });
  });

  it('still reports what really changes', async () => {
    await deployedBefore();
    const { option } = plannedOption();
    const text = await preview()(request({ option: { ...option, replicas: option.replicas + 1 } }));
    const isvc = lines(text).find((line) => line.includes('InferenceService'));
    expect(isvc).toMatch(/: will change .*spec\.predictor changed/);
    expect(isvc).not.toContain('metadata.labels');
  });

  it('shows every object as created on an empty target', async () => {
    const text = await preview()(request());
    expect(lines(text)).toHaveLength(3);
    for (const line of lines(text)) expect(line).toMatch(/: will be created$/);
  });
});

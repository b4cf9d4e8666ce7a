import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MONITOR_QUEUE } from '../../src/monitor/index.js';
import { APPROVER, CHANNEL, headerOf, STRANGER } from '../slack/harness.js';
import { freePort } from '../support/ports.js';
import type { DeployWorld } from './deploy-flow.js';
import {
  approveDeploy,
  approveInThread,
  buttonsOf,
  NAMESPACE,
  runWorker,
  startDeployWorld,
  statusMessages,
  workerEnv,
} from './deploy-flow.js';

const text = (message: { blocks: unknown[] }) => JSON.stringify(message.blocks);

describe('from Approve to "deployed" in the thread', () => {
  let world: DeployWorld;
  let worker: ReturnType<typeof runWorker>;
  let metricsUrl: string;

  beforeAll(async () => {
    world = await startDeployWorld();
    const metricsPort = await freePort();
    metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
    worker = runWorker({ ...workerEnv(world), METRICS_PORT: String(metricsPort) });
  });
  afterAll(async () => {
    await worker.stop();
    await world.close();
  });

  const deployed = (thread: string) =>
    world.bot.slack.waitFor(
      () => statusMessages(world, thread).find((m) => headerOf(m)?.startsWith('Deployed:')),
      20_000,
    );

  it('applies the manifests, waits for Ready, sends a smoke request and says so in one status message', async () => {
    const { thread, deployId, name, option, preview } = await approveDeploy(world);
    expect(preview).toContain(`Dry run on the current context* (\`${name}\`): the API server accepts it`);
    expect(preview).toContain(`InferenceService ${NAMESPACE}/${name}: will be created`);
    const done = await deployed(thread);
    // The request showed the server-side dry run before anyone decided, and the dry run stored nothing.
    const dryRuns = world.kube.requests.filter((r) => r.dryRun);
    expect(dryRuns.length).toBeGreaterThanOrEqual(3);
    expect(dryRuns.every((r) => r.fieldManager === 'compass')).toBe(true);
    expect(statusMessages(world, thread)).toHaveLength(1);
    expect(text(done)).toContain(world.simulators.at(-1)!.url);
    expect(buttonsOf(done).map((b) => b.action_id)).toEqual([
      'compass_deploy_benchmark',
      'compass_deploy_rollback',
      'compass_deploy_delete',
    ]);

    const service = world.kube.object({
      apiVersion: 'serving.kserve.io/v1beta1',
      kind: 'InferenceService',
      namespace: NAMESPACE,
      name,
    });
    const managers = (service as { metadata: { managedFields?: { manager: string }[] } } | undefined)
      ?.metadata.managedFields;
    expect(managers?.map((f) => f.manager)).toContain('compass');
    const applies = world.kube.requestsOf('patch').filter((r) => r.fieldManager === 'compass');
    expect(applies.length).toBeGreaterThanOrEqual(3);

    const { rows } = await world.sql.query(
      `select d.state, d.endpoint, c.state as conversation from deploys d join conversations c on c.id = d.conversation_id where d.id = $1`,
      [deployId],
    );
    expect(rows[0]).toEqual({
      state: 'deployed',
      endpoint: world.simulators.at(-1)!.url,
      conversation: 'deployed',
    });
    // Monitoring took the healthy deploy over: its first SLO summary is scheduled.
    const connection = new Redis(world.redis.url);
    const monitor = new Queue(MONITOR_QUEUE, { connection });
    const scheduled = await world.bot.slack.waitFor(() => monitor.getJob(`first-summary-${deployId}`));
    expect(scheduled.data).toEqual({ deployId });
    await monitor.close();
    connection.disconnect();
    const revisions = await world.sql.query(
      'select number, action from deploy_revisions where deploy_id = $1',
      [deployId],
    );
    expect(revisions.rows).toEqual([{ number: 1, action: 'deploy' }]);
    // The smoke request reached the simulator under the served name the manifests give.
    const metrics = await (await fetch(`${world.simulators.at(-1)!.url}/metrics`)).text();
    expect(metrics).toMatch(
      new RegExp(`vllm:request_success_total\\{[^}]*model_name="${option.modelId}"[^}]*\\} 1`),
    );
    // Compass's own /metrics on METRICS_PORT counted the deploy job's outcome (BullMQ reports it just after).
    const scraped = await world.bot.slack.waitFor(async () => {
      const text = await (await fetch(metricsUrl)).text();
      return /^compass_deploy_jobs_total\{outcome="completed"\} 1$/m.test(text) && text;
    });
    expect(scraped).not.toMatch(/^compass_deploy_jobs_total\{outcome="failed"\}/m);
    expect(scraped).toMatch(/^compass_deploy_queue_jobs\{state="active"\} \d+$/m);
  });

  it('lists deployments with state, cost and endpoint in /compass status', async () => {
    await world.bot.command('status', 'status-1');
    const answer = await world.bot.slack.waitFor(() =>
      world.bot.slack.responses.find((entry) => entry.id === 'status-1'),
    );
    const body = JSON.stringify(answer.body);
    expect(body).toContain('— deployed');
    expect(body).toMatch(/\/month/);
    expect(body).toContain(world.simulators[0]!.url);
  });

  it('retries transient API failures with backoff and still ends deployed once', async () => {
    // The request's dry run sends one PATCH per object (3) before the worker's apply meets the other two.
    world.kube.inject({ kind: 'status', code: 500, message: 'etcd hiccup' }, { verb: 'patch', times: 5 });
    const { thread } = await approveDeploy(world, 'chatbot for 500 users, latency matters');
    const done = await deployed(thread);
    expect(statusMessages(world, thread)).toHaveLength(1);
    expect(text(done)).not.toContain('🔁');
    expect(worker.log().match(/"event":"deploy.retrying"/g)).toHaveLength(2);
  });

  it('fails at once on an invalid object with the API’s reason, then Retry by an approver deploys it', async () => {
    world.kube.inject(
      {
        kind: 'status',
        code: 422,
        reason: 'Invalid',
        message: 'InferenceService.serving.kserve.io "x" is invalid',
        causes: [{ field: 'spec.predictor.minReplicas', message: 'must be greater than or equal to 0' }],
      },
      // Three for the request's dry run (which then shows the refusal), one for the worker's apply.
      { verb: 'patch', times: 4 },
    );
    const { thread, deployId } = await approveDeploy(world, 'code assistant for 200 developers');
    const failed = await world.bot.slack.waitFor(
      () => statusMessages(world, thread).find((m) => headerOf(m)?.startsWith('Deploy failed:')),
      20_000,
    );
    expect(text(failed)).toContain('minReplicas');
    expect(buttonsOf(failed).map((b) => b.action_id)).toEqual([
      'compass_deploy_retry',
      'compass_deploy_rollback',
      'compass_deploy_delete',
    ]);
    // A stranger's press changes nothing and says why.
    await world.bot.press('compass_deploy_retry', {
      value: deployId,
      message: { ts: failed.ts, thread_ts: thread },
      user: STRANGER,
      responseId: 'retry-stranger',
    });
    const refusal = await world.bot.slack.waitFor(() => world.bot.ephemerals(STRANGER).at(-1));
    expect(refusal.text).toMatch(/Only approvers may retry/);
    await world.bot.press('compass_deploy_retry', {
      value: deployId,
      message: { ts: failed.ts, thread_ts: thread },
      user: APPROVER,
      responseId: 'retry-approver',
    });
    await deployed(thread);
    expect(statusMessages(world, thread)).toHaveLength(1);
    const audit = await world.sql.query(
      `select a.actor, a.decision from approval_audit a join deploys d on d.request_id = a.request_id where d.id = $1 order by a.id`,
      [deployId],
    );
    expect(audit.rows.map((r) => r.decision)).toEqual(['approved', 'retry']);
  });

  it('deploys a refined spec as a new revision of the same target, rolls back to the previous one, and deletes', async () => {
    const first = await approveDeploy(world, 'chatbot for 800 users');
    await deployed(first.thread);
    // Refine in the same thread, then request and approve again: the same name, a second revision.
    const before = world.bot.slack.thread(CHANNEL, first.thread).length;
    await world.bot.reply('make it 1600 users', first.thread);
    // The refinement posts its change note; the plan message (the thread's second) is edited in place.
    await world.bot.slack.waitFor(() =>
      world.bot.slack
        .thread(CHANNEL, first.thread)
        .slice(before)
        .some((m) => /users 800 → 1,600/.test(m.text)),
    );
    const options = world.bot.slack.thread(CHANNEL, first.thread)[1]!;
    expect(buttonsOf(options).some((b) => b.action_id === 'compass_request_deploy')).toBe(true);
    const second = await approveInThread(world, first.thread, options.ts);
    expect(second.name).toBe(first.name);
    const done = await world.bot.slack.waitFor(
      () =>
        statusMessages(world, first.thread).length === 2 &&
        headerOf(statusMessages(world, first.thread).at(-1)!)?.startsWith('Deployed:') &&
        statusMessages(world, first.thread).at(-1),
      20_000,
    );
    // The second deploy's objects replaced the first's: the first's message says so and offers no button (they
    // would act on the second's objects).
    const [firstStatus] = statusMessages(world, first.thread);
    expect(headerOf(firstStatus!)).toBe(`Superseded: ${first.name}`);
    expect(buttonsOf(firstStatus!)).toEqual([]);
    expect(headerOf(done)).toBe(`Deployed: ${second.name}`);
    const revisions = await world.sql.query(
      'select distinct number, deploy_id from deploy_revisions where deploy_id in ($1, $2) order by number',
      [first.deployId, second.deployId],
    );
    expect(revisions.rows.map((r) => r.deploy_id)).toEqual([first.deployId, second.deployId]);

    await world.bot.press('compass_deploy_rollback', {
      value: second.deployId,
      message: { ts: done.ts, thread_ts: first.thread },
      user: APPROVER,
      responseId: 'rollback',
    });
    const note = await world.bot.slack.waitFor(() =>
      world.bot.slack.thread(CHANNEL, first.thread).find((m) => m.text.startsWith('Rolled back `')),
    );
    expect(note.text).toMatch(/to revision 1 \(now revision 3/);
    const service = world.kube.object({
      apiVersion: 'serving.kserve.io/v1beta1',
      kind: 'InferenceService',
      namespace: NAMESPACE,
      name: first.name,
    }) as { metadata: { labels: Record<string, string> } };
    expect(Object.values(service.metadata.labels)).toContain(first.deployId);
    // The rolled-back deploy's message offers Delete; the first deploy runs again, with its own buttons back.
    const rolledBack = world.bot.slack.message(CHANNEL, done.ts)!;
    expect(headerOf(rolledBack)).toBe(`Rolled back: ${first.name}`);
    expect(buttonsOf(rolledBack).map((b) => b.action_id)).toEqual(['compass_deploy_delete']);
    const revived = world.bot.slack.message(CHANNEL, firstStatus!.ts)!;
    expect(headerOf(revived)).toBe(`Deployed: ${first.name}`);
    expect(buttonsOf(revived).map((b) => b.action_id)).toEqual([
      'compass_deploy_benchmark',
      'compass_deploy_rollback',
      'compass_deploy_delete',
    ]);
    const states = async () =>
      (
        await world.sql.query('select state from deploys where id in ($1, $2) order by created_at', [
          first.deployId,
          second.deployId,
        ])
      ).rows.map((row) => row.state);
    expect(await states()).toEqual(['deployed', 'rolled_back']);

    // A delete the cluster forbids leaves the deployment as it was, its buttons back, and says why.
    world.kube.inject(
      { kind: 'status', code: 403, reason: 'Forbidden', message: 'compass may not delete inferenceservices' },
      { verb: 'delete' },
    );
    await world.bot.press('compass_deploy_delete', {
      value: second.deployId,
      message: { ts: done.ts, thread_ts: first.thread },
      user: APPROVER,
      responseId: 'delete-forbidden',
    });
    const refused = await world.bot.slack.waitFor(() =>
      world.bot.slack.thread(CHANNEL, first.thread).find((m) => m.text.startsWith('Could not delete `')),
    );
    expect(refused.text).toContain('compass may not delete inferenceservices');
    const kept = world.bot.slack.message(CHANNEL, done.ts)!;
    expect(headerOf(kept)).toBe(`Rolled back: ${first.name}`);
    expect(buttonsOf(kept).map((b) => b.action_id)).toEqual(['compass_deploy_delete']);
    expect(await states()).toEqual(['deployed', 'rolled_back']);

    await world.bot.press('compass_deploy_delete', {
      value: second.deployId,
      message: { ts: done.ts, thread_ts: first.thread },
      user: APPROVER,
      responseId: 'delete',
    });
    await world.bot.slack.waitFor(() =>
      world.bot.slack.thread(CHANNEL, first.thread).find((m) => m.text.startsWith('Deleted `')),
    );
    expect(
      world.kube.object({
        apiVersion: 'serving.kserve.io/v1beta1',
        kind: 'InferenceService',
        namespace: NAMESPACE,
        name: first.name,
      }),
    ).toBeUndefined();
    // The target is gone for both deploys of it.
    expect(await states()).toEqual(['deleted', 'deleted']);
    expect(headerOf(world.bot.slack.message(CHANNEL, firstStatus!.ts)!)).toBe(`Deleted: ${first.name}`);
    // Its status message, updated last, offers no button: there is nothing left to roll back or delete.
    const deleted = world.bot.slack.message(CHANNEL, done.ts)!;
    expect(headerOf(deleted)).toBe(`Deleted: ${first.name}`);
    expect(buttonsOf(deleted)).toEqual([]);
    const audit = await world.sql.query(
      `select a.decision from approval_audit a join deploys d on d.request_id = a.request_id where d.id = $1 order by a.id`,
      [second.deployId],
    );
    // Both presses of Delete are audited: the forbidden one and the one that went through.
    expect(audit.rows.map((r) => r.decision)).toEqual(['approved', 'rollback', 'delete', 'delete']);
  });
});

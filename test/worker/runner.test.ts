import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log/index.js';
import type { DeployProgress } from '../../src/worker/progress.js';
import type {
  DeployCluster,
  DeployJobStore,
  DeployRecord,
  DeployRunnerDeps,
  DeployState,
  JobAttempt,
  KubeObject,
  Revision,
} from '../../src/worker/runner.js';
import { DeployStepError, runDeployJob, targetKey } from '../../src/worker/runner.js';
import { plannedOption } from '../fixtures/deploy.js';

const DEPLOY_ID = '6f1c1b8e-8d7a-4a8e-9f57-3c2b7a1d0e11';
const OTHER_ID = '0b7d2f6e-1111-4c3b-8a2e-5d4c3b2a1f00';

function record(overrides: Partial<DeployRecord> = {}): DeployRecord {
  const { spec, option } = plannedOption();
  return {
    id: DEPLOY_ID,
    conversationId: 'c0ffee00-0000-4000-8000-000000000001',
    name: 'llama-chat',
    namespace: 'compass',
    context: null,
    option,
    spec,
    thread: { channel: 'C1', threadTs: '1700000000.000100' },
    state: 'pending',
    progress: null,
    statusTs: null,
    endpoint: null,
    ...overrides,
  };
}

const objects = (tag: string): KubeObject[] => [
  {
    apiVersion: 'serving.kserve.io/v1beta1',
    kind: 'InferenceService',
    metadata: { name: 'llama-chat', tag },
  },
  { apiVersion: 'monitoring.coreos.com/v1', kind: 'PodMonitor', metadata: { name: 'llama-chat' } },
];

/** In-memory edges with a log of what happened, and failures to script. */
function world(initial: DeployRecord = record(), others: DeployRecord[] = []) {
  const deploys = new Map([initial, ...others].map((deploy) => [deploy.id, structuredClone(deploy)]));
  const locks = new Map<string, string>();
  const revisions: (Revision & { target: string })[] = [];
  const events: string[] = [];
  const failures: Partial<Record<'apply' | 'ready' | 'smoke' | 'remove', DeployStepError[]>> = {};
  const fail = (step: 'apply' | 'ready' | 'smoke' | 'remove') => {
    const next = failures[step]?.shift();
    if (next) throw next;
  };
  const updates: DeployProgress[] = [];
  /** The deploy state each status message update was rendered for. */
  const shown: DeployState[] = [];
  /** Deploys handed to monitoring, in order. */
  const monitored: string[] = [];
  let posted = 0;
  let problems: string[] = [];
  let rendered = objects('v2');

  const store: DeployJobStore = {
    async load(id) {
      const found = deploys.get(id);
      return found && structuredClone(found);
    },
    async begin(id) {
      const deploy = deploys.get(id)!;
      if (!['pending', 'running', 'failed', 'deployed'].includes(deploy.state)) return false;
      deploy.state = 'running';
      return true;
    },
    async save(id, change) {
      Object.assign(deploys.get(id)!, change);
    },
    async claimStatusMessage(id, ts) {
      const deploy = deploys.get(id)!;
      deploy.statusTs ??= ts;
      return deploy.statusTs;
    },
    async lockTarget(target, holder) {
      const held = locks.get(target);
      if (held && held !== holder) return false;
      locks.set(target, holder);
      return true;
    },
    async unlockTarget(target, holder) {
      if (locks.get(target) === holder) locks.delete(target);
    },
    async recordRevision(target, deployId, _action, applied) {
      const number = revisions.filter((r) => r.target === target).length + 1;
      revisions.push({ target, deployId, number, objects: applied });
      return number;
    },
    async markTarget(target, { from, to, except }) {
      const moved = [...deploys.values()].filter(
        (deploy) =>
          targetKey(deploy) === targetKey(target) &&
          from.includes(deploy.state) &&
          !except.includes(deploy.id),
      );
      for (const deploy of moved) deploy.state = to;
      return structuredClone(moved);
    },
    async revisions(target, deployId) {
      const own = revisions.filter((r) => r.target === target);
      return { latest: own.at(-1), otherThan: own.findLast((r) => r.deployId !== deployId) };
    },
  };
  const cluster: DeployCluster = {
    async apply(applied) {
      events.push(`apply ${applied.map((o) => o.metadata.tag ?? o.kind).join(',')}`);
      fail('apply');
      return `created ${applied.length}`;
    },
    async waitUntilReady() {
      events.push('ready');
      fail('ready');
      return 'http://llama-chat.compass.example';
    },
    async remove(removed) {
      events.push(`remove ${removed.length}`);
      fail('remove');
    },
  };
  const deps: DeployRunnerDeps = {
    store,
    cluster: () => cluster,
    manifests: () => (problems.length ? { ok: false, problems } : { ok: true, objects: rendered }),
    smoke: async () => {
      events.push('smoke');
      fail('smoke');
    },
    messenger: {
      async post() {
        posted += 1;
        return `1700000001.00000${posted}`;
      },
      async update(deploy, progress) {
        shown.push(deploy.state);
        if (progress) updates.push(progress);
      },
      async note(_thread, text) {
        events.push(`note ${text}`);
      },
    },
    log: createLogger('silent'),
    now: () => new Date('2026-11-24T12:00:00Z'),
    onDeployed: async (deployId) => {
      monitored.push(deployId);
    },
  };
  return {
    deps,
    deploys,
    locks,
    revisions,
    events,
    failures,
    updates,
    shown,
    monitored,
    posts: () => posted,
    setProblems: (list: string[]) => {
      problems = list;
    },
    setRendered: (list: KubeObject[]) => {
      rendered = list;
    },
  };
}

const job = (overrides: Partial<JobAttempt> = {}): JobAttempt => ({
  id: DEPLOY_ID,
  deployId: DEPLOY_ID,
  action: 'deploy',
  attempt: 1,
  mayRetry: true,
  signal: new AbortController().signal,
  ...overrides,
});

describe('runDeployJob: deploy', () => {
  it('walks render → validate → apply → ready → smoke, ends deployed with one status message and a revision', async () => {
    const w = world();
    expect(await runDeployJob(w.deps, job())).toBe('done');
    const deploy = w.deploys.get(DEPLOY_ID)!;
    expect(deploy.state).toBe('deployed');
    expect(deploy.endpoint).toBe('http://llama-chat.compass.example');
    expect(deploy.progress?.outcome).toMatchObject({
      kind: 'deployed',
      endpoint: 'http://llama-chat.compass.example',
    });
    expect(deploy.progress?.steps.every((s) => s.state === 'done')).toBe(true);
    expect(w.posts()).toBe(1);
    expect(w.events).toEqual(['apply v2,PodMonitor', 'ready', 'smoke']);
    expect(w.revisions.map((r) => r.number)).toEqual([1]);
    expect(w.locks.size).toBe(0);
    // The thread saw each step start before it finished.
    const runningSteps = w.updates.flatMap((p) =>
      p.steps.filter((s) => s.state === 'running').map((s) => s.step),
    );
    expect(runningSteps).toEqual(['render', 'apply', 'ready', 'smoke']);
    // The message is rendered for the state it reports (its buttons depend on it), not the one the job loaded.
    expect(w.shown.at(-1)).toBe('deployed');
    expect(new Set(w.shown.slice(0, -1))).toEqual(new Set(['running']));
  });

  it('applies nothing when policy or schema refuse the manifests, and says why', async () => {
    const w = world();
    w.setProblems(['namespace "kube-system" is not allowed', 'image "evil:latest" is not allowed']);
    expect(await runDeployJob(w.deps, job())).toBe('done');
    const deploy = w.deploys.get(DEPLOY_ID)!;
    expect(deploy.state).toBe('failed');
    expect(deploy.progress?.outcome).toMatchObject({ kind: 'failed' });
    expect(deploy.progress?.outcome?.kind === 'failed' && deploy.progress.outcome.reason).toContain(
      'namespace "kube-system" is not allowed; image "evil:latest"',
    );
    expect(deploy.progress?.steps.find((s) => s.step === 'validate')?.state).toBe('failed');
    expect(w.events).toEqual([]);
  });

  it('asks for a retry on a transient failure, then finishes in the same status message', async () => {
    const w = world();
    w.failures.ready = [new DeployStepError('ready', true, 'watch dropped: ECONNRESET')];
    expect(await runDeployJob(w.deps, job())).toBe('retry');
    const retrying = w.deploys.get(DEPLOY_ID)!;
    expect(retrying.state).toBe('running');
    expect(retrying.progress?.steps.find((s) => s.step === 'ready')).toMatchObject({
      state: 'retrying',
      detail: 'watch dropped: ECONNRESET',
    });
    expect(w.locks.size).toBe(0);
    expect(await runDeployJob(w.deps, job({ attempt: 2 }))).toBe('done');
    expect(w.deploys.get(DEPLOY_ID)!.state).toBe('deployed');
    expect(w.posts()).toBe(1);
    // Apply ran twice (idempotent server-side apply); both revisions are the same objects.
    expect(w.events.filter((e) => e.startsWith('apply'))).toHaveLength(2);
  });

  it('fails at once on a permanent failure, and on a transient one when no attempt is left', async () => {
    const forbidden = world();
    forbidden.failures.apply = [
      new DeployStepError('apply', false, 'forbidden: cannot patch inferenceservices'),
    ];
    expect(await runDeployJob(forbidden.deps, job())).toBe('done');
    expect(forbidden.deploys.get(DEPLOY_ID)!.progress?.outcome).toMatchObject({
      kind: 'failed',
      reason: 'forbidden: cannot patch inferenceservices',
    });

    const exhausted = world();
    exhausted.failures.smoke = [new DeployStepError('smoke', true, 'the service answered 503')];
    expect(await runDeployJob(exhausted.deps, job({ attempt: 5, mayRetry: false }))).toBe('done');
    const deploy = exhausted.deploys.get(DEPLOY_ID)!;
    expect(deploy.state).toBe('failed');
    expect(deploy.progress?.steps.find((s) => s.step === 'smoke')?.state).toBe('failed');
  });

  it('treats an unclassified error as transient, so a bug gets the bounded retries and a readable end', async () => {
    const w = world();
    w.deps.cluster = () => ({
      apply: async () => {
        throw new TypeError('boom');
      },
      waitUntilReady: async () => '',
      remove: async () => {},
    });
    expect(await runDeployJob(w.deps, job())).toBe('retry');
    expect(await runDeployJob(w.deps, job({ attempt: 2, mayRetry: false }))).toBe('done');
    expect(w.deploys.get(DEPLOY_ID)!.progress?.outcome).toMatchObject({ kind: 'failed', reason: 'boom' });
  });

  it('waits while another job holds the target, and does nothing for a deploy already deployed', async () => {
    const w = world();
    w.locks.set(targetKey(w.deploys.get(DEPLOY_ID)!), 'someone-else');
    expect(await runDeployJob(w.deps, job())).toBe('busy');
    expect(w.events).toEqual([]);
    w.locks.clear();
    await runDeployJob(w.deps, job());
    const before = w.events.length;
    expect(await runDeployJob(w.deps, job({ attempt: 1 }))).toBe('done');
    expect(w.events).toHaveLength(before);
    expect(w.posts()).toBe(1);
  });
  it('does nothing for a deploy a newer spec superseded', async () => {
    const w = world(record({ state: 'superseded' }));
    expect(await runDeployJob(w.deps, job())).toBe('done');
    expect(w.events).toEqual([]);
    expect(w.posts()).toBe(0);
  });
});

describe('runDeployJob: rollback and delete', () => {
  /** This deploy's target as an earlier deploy (OTHER_ID, revision 1, deployed) left it. */
  const afterAnother = () => {
    const w = world(record(), [record({ id: OTHER_ID, state: 'deployed', statusTs: '1700000000.000200' })]);
    const target = targetKey(w.deploys.get(DEPLOY_ID)!);
    w.revisions.push({ target, deployId: OTHER_ID, number: 1, objects: objects('v1') });
    return w;
  };

  it('hands the target over: applying a deploy supersedes the one whose objects it replaced', async () => {
    const w = afterAnother();
    await runDeployJob(w.deps, job());
    expect(w.deploys.get(OTHER_ID)!.state).toBe('superseded');
    // Its status message is redrawn (without buttons, which would act on this deploy's objects).
    expect(w.shown).toContain('superseded');
    expect(w.deploys.get(DEPLOY_ID)!.state).toBe('deployed');
    expect(w.monitored).toEqual([DEPLOY_ID]);
  });

  it('rolls back to the revision before this deploy’s own, whose deploy runs again', async () => {
    const w = afterAnother();
    await runDeployJob(w.deps, job());
    expect(await runDeployJob(w.deps, job({ id: `${DEPLOY_ID}.rollback.1`, action: 'rollback' }))).toBe(
      'done',
    );
    expect(w.events).toContain('apply v1,PodMonitor');
    expect(w.deploys.get(DEPLOY_ID)!.state).toBe('rolled_back');
    expect(w.deploys.get(OTHER_ID)!.state).toBe('deployed');
    expect(w.shown.slice(-3)).toEqual(['rolling_back', 'rolled_back', 'deployed']);
    expect(w.monitored).toEqual([DEPLOY_ID, OTHER_ID]);

    expect(w.revisions.map((r) => r.number)).toEqual([1, 2, 3]);
    expect(w.events.at(-1)).toMatch(
      /^note Rolled back `\/compass\/llama-chat` to revision 1 \(now revision 3/,
    );

    // The revived deploy's own Roll back returns to this one: this deploy runs again, the other is rolled back.
    const back = { id: `${OTHER_ID}.rollback.1`, deployId: OTHER_ID, action: 'rollback' } as const;
    expect(await runDeployJob(w.deps, job(back))).toBe('done');
    expect(w.events.filter((event) => event.startsWith('apply ')).at(-1)).toBe('apply v2,PodMonitor');
    expect(w.deploys.get(DEPLOY_ID)!.state).toBe('deployed');
    expect(w.deploys.get(OTHER_ID)!.state).toBe('rolled_back');
    expect(w.revisions.map((r) => r.deployId)).toEqual([OTHER_ID, DEPLOY_ID, OTHER_ID, DEPLOY_ID]);
  });

  it('re-applies the latest revision when this deploy never applied, and says when there is nothing to go back to', async () => {
    const w = world();
    const target = targetKey(w.deploys.get(DEPLOY_ID)!);
    await runDeployJob(w.deps, job({ action: 'rollback' }));
    expect(w.events).toEqual([
      'note Nothing to roll back to: `/compass/llama-chat` has no earlier revision.',
    ]);
    w.revisions.push({ target, deployId: OTHER_ID, number: 1, objects: objects('v1') });
    await runDeployJob(w.deps, job({ action: 'rollback' }));
    expect(w.events).toContain('apply v1,PodMonitor');
  });

  it('deletes the objects of the latest revision', async () => {
    const w = world();
    await runDeployJob(w.deps, job());
    expect(await runDeployJob(w.deps, job({ action: 'delete' }))).toBe('done');
    expect(w.events).toContain('remove 2');
    expect(w.deploys.get(DEPLOY_ID)!.state).toBe('deleted');
    // The status message follows, so it no longer offers buttons that cannot work.
    expect(w.shown.slice(-2)).toEqual(['deleting', 'deleted']);
  });

  it('deletes the target for every deploy of it: the one a rollback revived is deleted too', async () => {
    const w = afterAnother();
    await runDeployJob(w.deps, job());
    await runDeployJob(w.deps, job({ id: `${DEPLOY_ID}.rollback.1`, action: 'rollback' }));
    expect(await runDeployJob(w.deps, job({ id: `${DEPLOY_ID}.delete.2`, action: 'delete' }))).toBe('done');
    expect(w.events).toContain('remove 2');
    expect(w.deploys.get(DEPLOY_ID)!.state).toBe('deleted');
    expect(w.deploys.get(OTHER_ID)!.state).toBe('deleted');
    expect(w.shown.slice(-3)).toEqual(['deleting', 'deleted', 'deleted']);
  });

  it('leaves a deployment whose delete or rollback fails for good as it was when asked, with its buttons', async () => {
    const w = world();
    await runDeployJob(w.deps, job());
    w.failures.remove = [
      new DeployStepError('ready', true, 'connect ECONNRESET'),
      new DeployStepError('ready', false, 'forbidden: cannot delete inferenceservices'),
    ];
    const deleting = { id: `${DEPLOY_ID}.delete.1`, action: 'delete', from: 'deployed' } as const;
    expect(await runDeployJob(w.deps, job(deleting))).toBe('retry');
    expect(w.deploys.get(DEPLOY_ID)!.state).toBe('deleting');
    // The retry finds it in between; the state the delete was asked from is in the job.
    expect(await runDeployJob(w.deps, job({ ...deleting, attempt: 2 }))).toBe('done');
    expect(w.deploys.get(DEPLOY_ID)!.state).toBe('deployed');
    expect(w.shown.at(-1)).toBe('deployed');
    expect(w.events.at(-1)).toBe(
      'note Could not delete `/compass/llama-chat`: forbidden: cannot delete inferenceservices',
    );

    // A job without it (queued by an older bot) goes back to the state it found.
    const target = targetKey(w.deploys.get(DEPLOY_ID)!);
    w.revisions.push({ target, deployId: OTHER_ID, number: 9, objects: objects('v9') });
    w.failures.apply = [new DeployStepError('apply', false, 'admission webhook denied the request')];
    expect(await runDeployJob(w.deps, job({ id: `${DEPLOY_ID}.rollback.2`, action: 'rollback' }))).toBe(
      'done',
    );
    expect(w.deploys.get(DEPLOY_ID)!.state).toBe('deployed');
    expect(w.shown.slice(-2)).toEqual(['rolling_back', 'deployed']);
  });
});

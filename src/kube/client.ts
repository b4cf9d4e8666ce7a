import { delimiter } from 'node:path';
import {
  BatchV1Api,
  CoreV1Api,
  createConfiguration,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  type RequestContext,
  type ResponseContext,
  ServerConfiguration,
  Watch,
} from '@kubernetes/client-node';
import type { Logger } from '../log/index.js';
import { changedFields, describeChanges, type FieldChange } from './diff.js';
import { KubeError, toKubeError } from './errors.js';
import { type JobClient, jobClient } from './jobs.js';
import { describeRef, type KubeObject, type ObjectRef, plainObject, refOf } from './objects.js';
import {
  type ReadinessSource,
  type ReadyOutcome,
  type WaitOptions,
  type WatchHandle,
  waitForReady,
} from './wait.js';

/** The field manager Compass applies as: the fields it sets are its own, and force takes them back from others. */
export const FIELD_MANAGER = 'compass';

export type ApplyOutcome =
  | {
      ref: ObjectRef;
      action: 'created' | 'configured' | 'unchanged';
      /** Against the live object: what makes it `configured`; empty for created and unchanged. */
      changes: FieldChange[];
      /** One line for people: "InferenceService compass/chat: will change spec.predictor". */
      summary: string;
      /** The API's answer: the object as stored (or, in a dry run, as it would be). */
      object: KubeObject;
    }
  | { ref: ObjectRef; action: 'failed'; error: KubeError; summary: string }
  /** A real apply stops at its first failure; the objects after it are not sent. */
  | { ref: ObjectRef; action: 'skipped'; summary: string };

export interface ApplyReport {
  dryRun: boolean;
  /** Every object applied (or, in a dry run, accepted). */
  ok: boolean;
  objects: ApplyOutcome[];
  /** The first failure, for the caller's retry decision (transient → retry; anything else → fail at once). */
  error?: KubeError;
}

export interface KubeClient {
  /** The kubeconfig context in use. */
  readonly context: string;
  /** The API server's URL. */
  readonly server: string;
  /**
   * Server-side apply (field manager `compass`, force) of each object in order. With `dryRun` the API answers
   * as if applied (dryRun=All) and stores nothing; every object is tried so all problems show. A real apply stops
   * at the first failure. Each outcome compares the API's answer with the live object.
   */
  apply(objects: readonly KubeObject[], options?: { dryRun?: boolean }): Promise<ApplyReport>;
  /** The live object, or undefined when it (or its namespace) does not exist. Throws KubeError. */
  get(ref: ObjectRef): Promise<KubeObject | undefined>;
  /** Deletes with foreground propagation (dependents first). Throws KubeError. */
  delete(ref: ObjectRef): Promise<'deleted' | 'not_found'>;
  /** Bounded wait until the object reports Ready=True; never throws — every end is an outcome. */
  waitUntilReady(ref: ObjectRef, options: WaitOptions): Promise<ReadyOutcome>;
  /** Jobs, their pods and the pods' logs (the typed batch/v1 and core/v1 APIs). */
  readonly jobs: JobClient;
}

export interface KubeClientOptions {
  /**
   * Kubeconfig file, or a list of them separated as in $KUBECONFIG (':', ';' on Windows) and merged as kubectl does;
   * default: $KUBECONFIG, ~/.kube/config, then in-cluster.
   */
  kubeconfig?: string;
  /** Context name; default: the kubeconfig's current context. */
  context?: string;
  /** Abandons any single API request after this long (default 30 s); a timed-out request is transient. */
  requestTimeoutMs?: number;
  log?: Logger;
}

/**
 * A KUBECONFIG path list merged as kubectl merges it: the first file to set the current context, or a cluster, user
 * or context of a given name, wins. (The library's own merge lets later files win and throws on repeated names.)
 */
function loadKubeconfigFiles(paths: string): KubeConfig {
  const files = paths.split(delimiter).filter((file) => file.length > 0);
  if (files.length === 0) throw new Error('the path list names no file');
  const merged = new KubeConfig();
  for (const file of files) {
    const next = new KubeConfig();
    // Per file, so relative certificate and token paths resolve against the file that names them.
    next.loadFromFile(file);
    merged.currentContext ||= next.currentContext;
    for (const cluster of next.clusters) if (!merged.getCluster(cluster.name)) merged.addCluster(cluster);
    for (const user of next.users) if (!merged.getUser(user.name)) merged.addUser(user);
    for (const context of next.contexts)
      if (!merged.getContextObject(context.name)) merged.addContext(context);
  }
  return merged;
}

function loadKubeConfig(options: KubeClientOptions): KubeConfig {
  let config: KubeConfig;
  try {
    if (options.kubeconfig) config = loadKubeconfigFiles(options.kubeconfig);
    else {
      config = new KubeConfig();
      config.loadFromDefault();
    }
  } catch (error) {
    const where = options.kubeconfig ?? 'the default kubeconfig';
    throw new KubeError('invalid', `cannot read ${where}: ${(error as Error).message}`);
  }
  if (options.context) {
    const names = config.getContexts().map((context) => context.name);
    if (!names.includes(options.context))
      throw new KubeError(
        'invalid',
        `kube context "${options.context}" is not in ${options.kubeconfig ?? 'the kubeconfig'} (it has: ${names.join(', ') || 'none'})`,
      );
    config.setCurrentContext(options.context);
  }
  return config;
}

/** Exposes the library's own path resolution (discovery-backed, cached) for the watch URL. */
class ObjectApi extends KubernetesObjectApi {
  collectionPath(ref: ObjectRef): Promise<string> {
    return this.specUriPath(
      { apiVersion: ref.apiVersion, kind: ref.kind, metadata: { namespace: ref.namespace } },
      'list',
    );
  }
}

/** What the library needs to find an object: kind, version, namespace, name. */
const objectHeader = (ref: ObjectRef) => ({
  apiVersion: ref.apiVersion,
  kind: ref.kind,
  metadata: { name: ref.name, ...(ref.namespace ? { namespace: ref.namespace } : {}) },
});

function summarize(
  ref: ObjectRef,
  action: Exclude<ApplyOutcome['action'], 'failed'>,
  changes: FieldChange[],
  dryRun: boolean,
) {
  const verdict = {
    created: dryRun ? 'will be created' : 'created',
    unchanged: 'unchanged',
    configured: `${dryRun ? 'will change' : 'changed'} ${describeChanges(changes)}`,
    skipped: 'not applied (an earlier object failed)',
  }[action];
  return `${describeRef(ref)}: ${verdict}`;
}

/** A Kubernetes client for one kubeconfig context, over real HTTP through @kubernetes/client-node. */
export function createKubeClient(options: KubeClientOptions = {}): KubeClient {
  const config = loadKubeConfig(options);
  const cluster = config.getCurrentCluster();
  if (!cluster)
    throw new KubeError(
      'invalid',
      `kube context "${config.getCurrentContext()}" names no cluster in the kubeconfig`,
    );
  const requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
  const configuration = createConfiguration({
    baseServer: new ServerConfiguration(cluster.server, {}),
    authMethods: { default: config },
    promiseMiddleware: [
      {
        // The library sets no timeout of its own; a hung API server must not hang a deploy.
        pre: async (context: RequestContext) => {
          context.setSignal(AbortSignal.timeout(requestTimeoutMs));
          return context;
        },
        post: async (context: ResponseContext) => context,
      },
    ],
  });
  const api = new ObjectApi(configuration);
  const watcher = new Watch(config);

  async function get(ref: ObjectRef): Promise<KubeObject | undefined> {
    try {
      return plainObject(await api.read(objectHeader(ref)));
    } catch (error) {
      const failure = toKubeError(error, `read ${describeRef(ref)}`);
      if (failure.kind === 'not_found') return undefined;
      throw failure;
    }
  }

  async function applyOne(object: KubeObject, dryRun: boolean): Promise<ApplyOutcome> {
    const ref = refOf(object);
    const doing = `${dryRun ? 'dry-run apply' : 'apply'} ${describeRef(ref)}`;
    try {
      const live = await get(ref);
      const answer = plainObject(
        await api.patch(
          structuredClone(object),
          undefined,
          dryRun ? 'All' : undefined,
          FIELD_MANAGER,
          true,
          PatchStrategy.ServerSideApply,
        ),
      );
      const changes = live ? changedFields(live, answer) : [];
      const action = !live ? 'created' : changes.length ? 'configured' : 'unchanged';
      return { ref, action, changes, summary: summarize(ref, action, changes, dryRun), object: answer };
    } catch (error) {
      const failure = toKubeError(error, doing);
      return { ref, action: 'failed', error: failure, summary: failure.message };
    }
  }

  const source: ReadinessSource = {
    get,
    watch(ref, resourceVersion, onEvent): WatchHandle {
      let controller: AbortController | undefined;
      let stopped = false;
      const ended = new Promise<unknown>((resolve) => {
        api
          .collectionPath(ref)
          .then((path) =>
            watcher.watch(
              path,
              { fieldSelector: `metadata.name=${ref.name}`, resourceVersion, allowWatchBookmarks: true },
              onEvent,
              (error) => resolve(error ?? undefined),
            ),
          )
          .then((started) => {
            controller = started;
            if (stopped) started.abort();
          }, resolve);
      });
      return {
        ended,
        stop() {
          stopped = true;
          controller?.abort();
        },
      };
    },
  };

  return {
    context: config.getCurrentContext(),
    server: cluster.server,
    async apply(objects, applyOptions = {}) {
      const dryRun = applyOptions.dryRun ?? false;
      const outcomes: ApplyOutcome[] = [];
      let error: KubeError | undefined;
      for (const object of objects) {
        if (error && !dryRun) {
          const ref = refOf(object);
          outcomes.push({ ref, action: 'skipped', summary: summarize(ref, 'skipped', [], dryRun) });
          continue;
        }
        const outcome = await applyOne(object, dryRun);
        if (outcome.action === 'failed') error ??= outcome.error;
        outcomes.push(outcome);
      }
      return { dryRun, ok: !error, objects: outcomes, ...(error ? { error } : {}) };
    },
    get,
    async delete(ref) {
      try {
        await api.delete(objectHeader(ref), undefined, undefined, undefined, undefined, 'Foreground');
        return 'deleted';
      } catch (error) {
        const failure = toKubeError(error, `delete ${describeRef(ref)}`);
        if (failure.kind === 'not_found') return 'not_found';
        throw failure;
      }
    },
    waitUntilReady: (ref, waitOptions) => waitForReady(source, ref, waitOptions, options.log),
    jobs: jobClient(new BatchV1Api(configuration), new CoreV1Api(configuration)),
  };
}

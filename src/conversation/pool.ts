import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Knowledge } from '../knowledge/catalog.js';
import type { Logger } from '../log/index.js';
import { createCpuGate } from './gate.js';
import type { TaskArgs, TaskName, TaskResult } from './tasks.js';
import { runTask } from './tasks.js';

/** Where a conversation's planning runs: the same tasks in this thread (tests, the terminal) or in worker threads. */
export interface PlanningPool {
  run<K extends TaskName>(task: K, knowledge: Knowledge, ...args: TaskArgs<K>): Promise<TaskResult<K>>;
  close(): Promise<void>;
}

/** Runs tasks in this thread one at a time, each in its own macrotask so pending I/O goes first. */
export function createInlinePool(): PlanningPool {
  const gate = createCpuGate();
  return {
    run: (task, knowledge, ...args) => gate.run(() => runTask(task, knowledge, args)),
    close: async () => {},
  };
}

/** What the main thread sends a planning worker. */
export type ToWorker =
  | { kind: 'knowledge'; version: number; knowledge: Knowledge }
  | { kind: 'run'; id: number; task: TaskName; version: number; args: unknown[] };
/** What a planning worker answers. */
export type FromWorker =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: { name: string; message: string; stack?: string } };

/** Snapshots a worker keeps: the current one and the one before (a turn may still be planning on it). */
export const SNAPSHOTS_KEPT = 2;

interface Pending {
  resolve: (value: never) => void;
  reject: (error: Error) => void;
}

interface Thread {
  worker: Worker;
  /** Snapshot versions the worker holds, oldest first (it forgets as the main thread does). */
  versions: number[];
  pending: Map<number, Pending>;
}

/** One worker per spare core (at least one, at most four): the event loop stays free to acknowledge Slack. */
export const defaultThreads = () => Math.min(4, Math.max(1, availableParallelism() - 1));

/**
 * Runs tasks on worker threads. A knowledge snapshot crosses to a worker once per version (snapshots are immutable
 * and swapped whole), then tasks name it by version; a worker that dies fails its tasks and is replaced.
 */
export function createThreadPool(log: Logger, threads = defaultThreads()): PlanningPool {
  const script = new URL('./planning-worker.js', import.meta.url);
  const versions = new WeakMap<Knowledge, number>();
  let lastVersion = 0;
  let nextId = 0;
  let closing = false;
  /** Workers that died without answering anything, in a row: past a few, they cannot start (no respawn loop). */
  let stillborn = 0;
  let broken: Error | undefined;

  function spawn(): Thread {
    const thread: Thread = { worker: new Worker(script), versions: [], pending: new Map() };
    thread.worker.on('message', (message: FromWorker) => {
      const pending = thread.pending.get(message.id);
      if (!pending) return;
      stillborn = 0;
      thread.pending.delete(message.id);
      if (message.ok) pending.resolve(message.value as never);
      else pending.reject(Object.assign(new Error(message.error.message), message.error));
    });
    const fail = (error: Error) => {
      for (const pending of thread.pending.values()) pending.reject(error);
      thread.pending.clear();
      const index = pool.indexOf(thread);
      if (index < 0 || closing) return;
      pool.splice(index, 1);
      if (++stillborn > 3) {
        broken = error;
        log.error({ event: 'planning.workers_broken', err: error }, 'planning workers cannot start');
        return;
      }
      log.error({ event: 'planning.worker_died', err: error }, 'a planning worker died; starting another');
      pool.push(spawn());
    };
    thread.worker.on('error', fail);
    thread.worker.on('exit', (code) => fail(new Error(`planning worker exited with code ${code}`)));
    return thread;
  }

  const pool = Array.from({ length: threads }, spawn);

  function versionOf(knowledge: Knowledge): number {
    let version = versions.get(knowledge);
    if (version === undefined) {
      version = ++lastVersion;
      versions.set(knowledge, version);
    }
    return version;
  }

  function send(thread: Thread, message: ToWorker) {
    thread.worker.postMessage(message);
  }

  return {
    run(task, knowledge, ...args) {
      if (broken || pool.length === 0)
        return Promise.reject(new Error(`planning workers cannot start: ${broken?.message ?? 'none left'}`));
      const version = versionOf(knowledge);
      // The least busy worker; ties go to one that holds the snapshot already.
      const thread = pool.reduce((best, candidate) =>
        candidate.pending.size < best.pending.size ||
        (candidate.pending.size === best.pending.size &&
          candidate.versions.includes(version) &&
          !best.versions.includes(version))
          ? candidate
          : best,
      );
      if (!thread.versions.includes(version)) {
        send(thread, { kind: 'knowledge', version, knowledge });
        thread.versions.push(version);
        if (thread.versions.length > SNAPSHOTS_KEPT) thread.versions.shift();
      }
      const id = ++nextId;
      return new Promise<TaskResult<typeof task>>((resolve, reject) => {
        thread.pending.set(id, { resolve, reject });
        send(thread, { kind: 'run', id, task, version, args });
      });
    },
    async close() {
      closing = true;
      await Promise.all(pool.map((thread) => thread.worker.terminate()));
    },
  };
}

/**
 * Worker threads when Compass runs compiled (`compass bot`); in this thread when it runs from its TypeScript source
 * (tests), where a worker thread could not load the worker's .ts file.
 */
export function createPlanningPool(log: Logger): PlanningPool {
  return import.meta.url.endsWith('.js') ? createThreadPool(log) : createInlinePool();
}

// A planning worker thread: holds the latest knowledge snapshots it was sent and runs conversation tasks on them.
import { parentPort } from 'node:worker_threads';
import type { Knowledge } from '../knowledge/catalog.js';
import { calibrationOf } from '../planner/index.js';
import type { FromWorker, ToWorker } from './pool.js';
import { SNAPSHOTS_KEPT } from './pool.js';
import type { TaskArgs, TaskName } from './tasks.js';
import { runTask } from './tasks.js';

const snapshots = new Map<number, Knowledge>();
const port = parentPort!;

port.on('message', (message: ToWorker) => {
  if (message.kind === 'knowledge') {
    snapshots.set(message.version, message.knowledge);
    for (const version of [...snapshots.keys()].slice(0, -SNAPSHOTS_KEPT)) snapshots.delete(version);
    // Fit the performance model now, before the first plan on this snapshot waits for it.
    calibrationOf(message.knowledge);
    return;
  }
  let answer: FromWorker;
  try {
    const knowledge = snapshots.get(message.version);
    if (!knowledge) throw new Error(`planning worker: no knowledge snapshot ${message.version}`);
    const value = runTask(message.task as TaskName, knowledge, message.args as TaskArgs<TaskName>);
    answer = { id: message.id, ok: true, value };
  } catch (error) {
    const { name, message: text, stack } = error instanceof Error ? error : new Error(String(error));
    answer = { id: message.id, ok: false, error: { name, message: text, ...(stack ? { stack } : {}) } };
  }
  port.postMessage(answer);
});

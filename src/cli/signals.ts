/** How often a server checks that the process that started it is still there. */
const PARENT_CHECK_MS = 1000;

/**
 * Resolves when the server should stop: SIGINT, SIGTERM, or its launcher gone. `npx compass …` runs Compass under
 * `npm exec` and a shell that do not pass SIGTERM on; a script that stops the npx process would otherwise leave the
 * server running as an orphan, so losing the parent counts as being asked to stop.
 *
 * The listeners stay for the life of the process: a launcher that forwards the signal it got (npm exec does) or a
 * Ctrl+C that reaches the whole process group delivers it twice, and without a listener the second one would kill
 * the process mid-drain with the default action.
 */
export function stopRequested(): Promise<NodeJS.Signals | 'parent-exit'> {
  return new Promise((resolve) => {
    const parent = process.ppid;
    const stop = (reason: NodeJS.Signals | 'parent-exit') => {
      clearInterval(watch);
      resolve(reason);
    };
    const watch = setInterval(() => {
      if (process.ppid !== parent) stop('parent-exit');
    }, PARENT_CHECK_MS).unref();
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

/** How often monitoring looks at the deployments, and over which windows (MONITOR_* variables). */
import { z } from 'zod';

const seconds = z
  .number({ error: 'must be a whole number of seconds' })
  .int('must be a whole number of seconds');

export const MonitorSettings = z
  .object({
    /** How often each deployment's SLOs are evaluated (and channel digests checked for a due period). */
    intervalSec: seconds.min(1, 'must be at least 1 second').default(60),
    /** How long after a deploy turns healthy its first SLO summary is posted in the thread. */
    firstSummarySec: seconds.min(0, 'must be 0 or more seconds').default(600),
    /** The breach detector's windows: failing over both opens a breach (multi-window burn-rate alerting). */
    shortWindowSec: seconds.min(1, 'must be at least 1 second').default(300),
    /** Also the window of SLO summaries and digests. */
    longWindowSec: seconds.min(1, 'must be at least 1 second').default(3600),
  })
  .refine((settings) => settings.longWindowSec > settings.shortWindowSec, {
    message: 'must be longer than the short window (MONITOR_SHORT_WINDOW_SECONDS)',
    path: ['longWindowSec'],
  });
export type MonitorSettings = z.infer<typeof MonitorSettings>;

/** The settings with every default: what the bot uses when the configuration has no monitor section. */
export const DEFAULT_MONITOR_SETTINGS: MonitorSettings = MonitorSettings.parse({});

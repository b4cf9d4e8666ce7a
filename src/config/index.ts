import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { ManifestSettings } from '../deploy/settings.js';
import { INBOX_DEFAULTS } from '../inbox/runner.js';
import { MonitorSettings } from '../monitor/settings.js';
import { ConfigError } from './error.js';

export { ConfigError };

const optionalText = z
  .string()
  .trim()
  .transform((value) => (value === '' ? undefined : value))
  .optional();

/** A comma-separated list, trimmed, empty parts dropped. */
function list(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  return value
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
}

const dns1123Label = z
  .string()
  .regex(
    /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/,
    'must be a DNS-1123 label (lower-case letters, digits, "-")',
  );

const postgresUrl = z
  .string()
  .trim()
  .refine((value) => /^postgres(ql)?:\/\//.test(value), 'must be a postgres:// or postgresql:// URL');

/** Every setting Compass reads, from environment variables; built once at start-up. */
export const ConfigSchema = z.object({
  /** PostgreSQL connection; absent means embedded PGlite under dataDir. */
  databaseUrl: postgresUrl.optional(),
  dataDir: z.string().min(1),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
  ollama: z
    .object({
      host: z.url(),
      model: z.string().min(1),
      timeoutMs: z.number().int().positive(),
    })
    .optional(),
  /** Present when any SLACK_* variable is set; `compass bot` checks it has what it needs (requireSlack). */
  slack: z
    .object({
      botToken: z.string().startsWith('xoxb-', 'must be a bot token (starts with xoxb-)').optional(),
      signingSecret: z.string().min(16, 'too short for a signing secret (Basic Information page)').optional(),
      /** App-level token; set means Socket Mode, unset means HTTP on `port`. */
      appToken: z.string().startsWith('xapp-', 'must be an app-level token (starts with xapp-)').optional(),
      /** Web API base URL; only tests and proxies change it. */
      apiUrl: z.url().optional(),
      port: z.number().int().min(1).max(65535),
      /** Where Slack reaches the bot's HTTP server from outside; set: Details shows the chart from there. */
      publicUrl: z
        .url({
          protocol: /^https?$/,
          error: 'must be an http:// or https:// URL, e.g. https://compass.example.com',
        })
        .optional(),
    })
    .optional(),
  /** Prometheus that scrapes the deployments' vLLM pods; absent means SLO monitoring is off and says so. */
  prometheusUrl: z
    .url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL, e.g. http://prometheus:9090' })
    .optional(),
  /** Where deployments may go: the choices of a deploy request, and the policy's namespace allowlist. */
  deploy: z.object({
    /** Kubeconfig contexts users may pick; empty means the kubeconfig's current context only. */
    contexts: z.array(z.string().min(1)),
    namespaces: z.array(dns1123Label).min(1, 'name at least one namespace'),
  }),
  /** Who may approve deploy requests, and where requests are announced. */
  approvals: z.object({
    userIds: z.array(
      z.string().regex(/^[UW][A-Z0-9]{2,}$/, 'must be Slack user ids (U…, W…), comma-separated'),
    ),
    usergroupId: z
      .string()
      .regex(/^S[A-Z0-9]{2,}$/, 'must be a Slack user group id (S…)')
      .optional(),
    /** Requests are also posted here, besides the conversation's thread. */
    channelId: z
      .string()
      .regex(/^[CG][A-Z0-9]{2,}$/, 'must be a Slack channel id (C…)')
      .optional(),
    /** Off (four eyes): whoever requested a deploy cannot approve it. */
    requesterMayApprove: z.boolean({ error: 'must be true or false' }),
  }),
  /** How deploy manifests are rendered (vLLM or the simulator) and the limits the policy enforces. */
  manifests: ManifestSettings,
  /** The deploy queue and its workers. */
  worker: z.object({
    redisUrl: z.url({ protocol: /^rediss?$/, error: 'must be a redis:// or rediss:// URL' }),
    /** Jobs one worker runs at once. */
    concurrency: z.number().int().min(1).max(64),
    /** Attempts of a job whose failures are transient (network, 409, 429, 5xx). */
    attempts: z.number().int().min(1).max(50),
    /** First retry delay; each later one doubles. */
    backoffMs: z.number().int().min(1),
    /** How long a deploy may take to become Ready (image pull and model download included). */
    readyTimeoutMs: z.number().int().min(1000),
    /** How often approved deploys not yet queued are looked for (an approval also asks at once). */
    dispatchIntervalMs: z.number().int().min(10),
    /** How long a queued deploy may sit unchanged with its job missing from Redis before it is queued again. */
    requeueAfterMs: z.number().int().min(100),
    /** Kubeconfig file(s); unset: ~/.kube/config, then the in-cluster service account. */
    kubeconfig: z.string().min(1).optional(),
    /** A job's lock without renewal: a killed worker's job moves to another worker after about this. */
    lockMs: z.number().int().min(500),
    /** Who may press Retry, Roll back and Delete on a deployment. */
    changesBy: z.enum(['approvers', 'anyone'], { error: 'must be approvers or anyone' }),
  }),
  /** The Benchmark button's load test: how long each of its rate points may send and drain, how many requests. */
  benchmark: z.object({
    maxRequestsPerPoint: z.number().int().min(1).max(100_000),
    maxSecondsPerPoint: z.number().min(0.1).max(3600),
    drainSeconds: z.number().min(0.1).max(3600),
  }),
  /** SLO monitoring: evaluation interval, first summary delay, breach windows. */
  monitor: MonitorSettings,
  /** How often the bot and the worker look for a changed knowledge base (observed outcomes, imports). */
  knowledgeRefreshSec: z.number().int().min(1),
  /**
   * The bot's inbox of Slack events: how long a turn is held without renewal, how long SIGTERM waits for turns, how
   * many turns run at once.
   */
  inbox: z.object({
    leaseMs: z.number().int().min(200),
    stopGraceMs: z.number().int().min(0),
    turnsAtOnce: z.number().int().min(1),
  }),
  /** Where `compass worker` serves /metrics; unset: nowhere (the bot serves them on PORT). */
  metricsPort: z.number().int().min(0).max(65535).optional(),
});
export type Config = z.infer<typeof ConfigSchema>;
export type DeployConfig = Config['deploy'];
export type ApprovalsConfig = Config['approvals'];
export type WorkerConfig = Config['worker'];
export type SlackConfig = NonNullable<Config['slack']>;
export type MonitorConfig = Config['monitor'];

type Env = Record<string, string | undefined>;

/** The environment variable of every setting (its path in Config → its name); docker-compose.yml passes each through. */
export const ENV_NAMES: Record<string, string> = {
  databaseUrl: 'DATABASE_URL',
  dataDir: 'COMPASS_DATA_DIR',
  logLevel: 'LOG_LEVEL',
  'ollama.host': 'OLLAMA_HOST',
  'ollama.model': 'OLLAMA_MODEL',
  'ollama.timeoutMs': 'OLLAMA_TIMEOUT_MS',
  'slack.botToken': 'SLACK_BOT_TOKEN',
  'slack.signingSecret': 'SLACK_SIGNING_SECRET',
  'slack.appToken': 'SLACK_APP_TOKEN',
  'slack.apiUrl': 'SLACK_API_URL',
  'slack.port': 'PORT',
  'slack.publicUrl': 'COMPASS_PUBLIC_URL',
  prometheusUrl: 'PROMETHEUS_URL',
  'deploy.contexts': 'DEPLOY_CONTEXTS',
  'deploy.namespaces': 'DEPLOY_NAMESPACES',
  'approvals.userIds': 'APPROVER_USER_IDS',
  'approvals.usergroupId': 'APPROVER_USERGROUP_ID',
  'approvals.channelId': 'APPROVERS_CHANNEL_ID',
  'approvals.requesterMayApprove': 'APPROVAL_REQUESTER_MAY_APPROVE',
  'manifests.vllmImage': 'VLLM_IMAGE',
  'manifests.vllmRocmImage': 'VLLM_ROCM_IMAGE',
  'manifests.rollout': 'DEPLOY_ROLLOUT',
  'manifests.weightCache': 'DEPLOY_WEIGHT_CACHE',
  'manifests.weightStorageClass': 'DEPLOY_WEIGHT_STORAGE_CLASS',
  'manifests.downloadMBps': 'DEPLOY_DOWNLOAD_MBPS',
  'manifests.simulatorImage': 'SIMULATOR_IMAGE',
  'manifests.simulator': 'DEPLOY_SIMULATOR',
  'manifests.imageAllowlist': 'DEPLOY_IMAGE_ALLOWLIST',
  'manifests.gpuQuota': 'DEPLOY_GPU_QUOTA',
  'manifests.gpuNodeLabels': 'DEPLOY_GPU_NODE_LABELS',
  'manifests.hfTokenSecret': 'HF_TOKEN_SECRET',
  'manifests.prometheusUrl': 'DEPLOY_PROMETHEUS_URL',
  'manifests.prometheusAuth': 'DEPLOY_PROMETHEUS_AUTH',
  'worker.redisUrl': 'REDIS_URL',
  'worker.concurrency': 'WORKER_CONCURRENCY',
  'worker.attempts': 'DEPLOY_ATTEMPTS',
  'worker.backoffMs': 'DEPLOY_BACKOFF_MS',
  'worker.readyTimeoutMs': 'DEPLOY_READY_TIMEOUT_MS',
  'worker.dispatchIntervalMs': 'DEPLOY_DISPATCH_INTERVAL_MS',
  'worker.requeueAfterMs': 'DEPLOY_REQUEUE_AFTER_MS',
  'worker.changesBy': 'DEPLOY_CHANGES_BY',
  'worker.lockMs': 'WORKER_LOCK_MS',
  'worker.kubeconfig': 'KUBECONFIG',
  'benchmark.maxRequestsPerPoint': 'BENCHMARK_MAX_REQUESTS',
  'benchmark.maxSecondsPerPoint': 'BENCHMARK_POINT_SECONDS',
  'benchmark.drainSeconds': 'BENCHMARK_DRAIN_SECONDS',
  'monitor.intervalSec': 'MONITOR_INTERVAL_SECONDS',
  'monitor.firstSummarySec': 'MONITOR_FIRST_SUMMARY_SECONDS',
  'monitor.shortWindowSec': 'MONITOR_SHORT_WINDOW_SECONDS',
  'monitor.longWindowSec': 'MONITOR_LONG_WINDOW_SECONDS',
  knowledgeRefreshSec: 'KNOWLEDGE_REFRESH_SECONDS',
  'inbox.leaseMs': 'INBOX_LEASE_MS',
  'inbox.stopGraceMs': 'BOT_STOP_GRACE_MS',
  metricsPort: 'METRICS_PORT',
};

/** The variable a problem's path belongs to, with what lies below it (a key inside a JSON variable). */
function variableOf(key: string): string {
  const known = Object.keys(ENV_NAMES)
    .filter((name) => key === name || key.startsWith(`${name}.`))
    .sort((a, b) => b.length - a.length)[0];
  return known === undefined ? key : `${ENV_NAMES[known]}${key.slice(known.length)}`;
}

const SLACK_VARIABLES = ['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'SLACK_APP_TOKEN', 'SLACK_API_URL'];

function defaultDataDir(env: Env): string {
  const base = env.XDG_DATA_HOME?.trim() || join(env.HOME?.trim() || homedir(), '.local', 'share');
  return join(base, 'compass');
}

/** Accepts "host:port" as the ollama CLI does, as well as a full URL. */
function ollamaUrl(host: string): string {
  return /^https?:\/\//.test(host) ? host : `http://${host}`;
}

/** true/false (also 1/0, yes/no); anything else stays text, which the schema reports. */
function boolean(value: string | undefined): boolean | string | undefined {
  if (value === undefined) return undefined;
  const normalized = value.trim().toLowerCase();
  if (['true', '1', 'yes'].includes(normalized)) return true;
  if (['false', '0', 'no'].includes(normalized)) return false;
  return value;
}

/** Parsed JSON; text that is not JSON stays text, which the schema reports. */
function json(value: string | undefined): unknown {
  if (value === undefined) return undefined;
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

/** "name" or "name/key" of a Secret. */
function secretKeyRef(value: string | undefined): { name: string; key?: string } | undefined {
  if (value === undefined) return undefined;
  const [name = '', key] = value.split('/', 2);
  return { name, ...(key !== undefined && { key }) };
}

function integer(value: string | undefined): number | string | undefined {
  if (value === undefined) return undefined;
  return /^\d+$/.test(value.trim()) ? Number(value.trim()) : value;
}

/** A decimal number ("12.5"); anything else stays text, which the schema reports. */
function decimal(value: string | undefined): number | string | undefined {
  if (value === undefined) return undefined;
  return /^\d+(\.\d+)?$/.test(value.trim()) ? Number(value.trim()) : value;
}

/** Builds the configuration from environment variables; throws ConfigError listing every bad or missing value. */
export function loadConfig(env: Env = process.env): Config {
  const text = (name: string) => optionalText.parse(env[name]);
  const ollamaHost = text('OLLAMA_HOST');
  const raw = {
    databaseUrl: text('DATABASE_URL'),
    dataDir: text('COMPASS_DATA_DIR') ?? defaultDataDir(env),
    logLevel: text('LOG_LEVEL') ?? 'info',
    ollama: ollamaHost
      ? {
          host: ollamaUrl(ollamaHost),
          model: text('OLLAMA_MODEL') ?? 'qwen2.5:7b-instruct',
          timeoutMs: integer(text('OLLAMA_TIMEOUT_MS')) ?? 8000,
        }
      : undefined,
    slack: SLACK_VARIABLES.some((name) => text(name) !== undefined)
      ? {
          botToken: text('SLACK_BOT_TOKEN'),
          signingSecret: text('SLACK_SIGNING_SECRET'),
          appToken: text('SLACK_APP_TOKEN'),
          apiUrl: text('SLACK_API_URL'),
          port: integer(text('PORT')) ?? 3000,
          publicUrl: text('COMPASS_PUBLIC_URL'),
        }
      : undefined,
    prometheusUrl: text('PROMETHEUS_URL'),
    deploy: {
      contexts: list(text('DEPLOY_CONTEXTS')) ?? [],
      namespaces: list(text('DEPLOY_NAMESPACES')) ?? ['compass'],
    },
    approvals: {
      userIds: list(text('APPROVER_USER_IDS')) ?? [],
      usergroupId: text('APPROVER_USERGROUP_ID'),
      channelId: text('APPROVERS_CHANNEL_ID'),
      requesterMayApprove: boolean(text('APPROVAL_REQUESTER_MAY_APPROVE')) ?? false,
    },
    manifests: {
      vllmImage: text('VLLM_IMAGE'),
      vllmRocmImage: text('VLLM_ROCM_IMAGE'),
      rollout: text('DEPLOY_ROLLOUT'),
      weightCache: text('DEPLOY_WEIGHT_CACHE'),
      weightStorageClass: text('DEPLOY_WEIGHT_STORAGE_CLASS'),
      downloadMBps: decimal(text('DEPLOY_DOWNLOAD_MBPS')),
      simulatorImage: text('SIMULATOR_IMAGE'),
      simulator: boolean(text('DEPLOY_SIMULATOR')),
      imageAllowlist: list(text('DEPLOY_IMAGE_ALLOWLIST')),
      gpuQuota: integer(text('DEPLOY_GPU_QUOTA')),
      gpuNodeLabels: json(text('DEPLOY_GPU_NODE_LABELS')),
      hfTokenSecret: secretKeyRef(text('HF_TOKEN_SECRET')),
      prometheusUrl: text('DEPLOY_PROMETHEUS_URL'),
      prometheusAuth: text('DEPLOY_PROMETHEUS_AUTH'),
    },
    worker: {
      redisUrl: text('REDIS_URL') ?? 'redis://127.0.0.1:6379',
      concurrency: integer(text('WORKER_CONCURRENCY')) ?? 2,
      attempts: integer(text('DEPLOY_ATTEMPTS')) ?? 6,
      backoffMs: integer(text('DEPLOY_BACKOFF_MS')) ?? 2000,
      readyTimeoutMs: integer(text('DEPLOY_READY_TIMEOUT_MS')) ?? 20 * 60 * 1000,
      dispatchIntervalMs: integer(text('DEPLOY_DISPATCH_INTERVAL_MS')) ?? 2000,
      requeueAfterMs: integer(text('DEPLOY_REQUEUE_AFTER_MS')) ?? 120_000,
      changesBy: text('DEPLOY_CHANGES_BY') ?? 'approvers',
      lockMs: integer(text('WORKER_LOCK_MS')) ?? 30_000,
      kubeconfig: text('KUBECONFIG'),
    },
    benchmark: {
      maxRequestsPerPoint: integer(text('BENCHMARK_MAX_REQUESTS')) ?? 60,
      maxSecondsPerPoint: decimal(text('BENCHMARK_POINT_SECONDS')) ?? 30,
      drainSeconds: decimal(text('BENCHMARK_DRAIN_SECONDS')) ?? 20,
    },
    monitor: {
      intervalSec: integer(text('MONITOR_INTERVAL_SECONDS')),
      firstSummarySec: integer(text('MONITOR_FIRST_SUMMARY_SECONDS')),
      shortWindowSec: integer(text('MONITOR_SHORT_WINDOW_SECONDS')),
      longWindowSec: integer(text('MONITOR_LONG_WINDOW_SECONDS')),
    },
    knowledgeRefreshSec: integer(text('KNOWLEDGE_REFRESH_SECONDS')) ?? 60,
    inbox: {
      leaseMs: integer(text('INBOX_LEASE_MS')) ?? INBOX_DEFAULTS.leaseMs,
      stopGraceMs: integer(text('BOT_STOP_GRACE_MS')) ?? INBOX_DEFAULTS.stopGraceMs,
      turnsAtOnce: integer(text('BOT_TURNS_AT_ONCE')) ?? INBOX_DEFAULTS.turnsAtOnce,
    },
    metricsPort: integer(text('METRICS_PORT')),
  };
  const parsed = ConfigSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  throw new ConfigError(
    parsed.error.issues.map((issue) => {
      const key = issue.path.filter((part) => typeof part === 'string').join('.');
      return `${variableOf(key)}: ${issue.message}`;
    }),
  );
}

/** What `compass bot` needs: a bot token, and an app token (Socket Mode) or a signing secret (HTTP). */
export type SlackSettings = SlackConfig & { botToken: string } & (
    | { mode: 'socket'; appToken: string }
    | { mode: 'http'; signingSecret: string }
  );

/** The Slack settings of `config`, or a ConfigError naming every variable `compass bot` still needs. */
export function requireSlack(config: Config): SlackSettings {
  const slack = config.slack ?? { port: 3000 };
  const { botToken, appToken, signingSecret } = slack;
  if (botToken && appToken) return { ...slack, botToken, mode: 'socket', appToken };
  if (botToken && signingSecret) return { ...slack, botToken, mode: 'http', signingSecret };
  const problems: string[] = [];
  if (!botToken)
    problems.push('SLACK_BOT_TOKEN: not set; copy the Bot User OAuth Token (xoxb-…) from your Slack app.');
  if (!appToken && !signingSecret)
    problems.push(
      'SLACK_APP_TOKEN or SLACK_SIGNING_SECRET: set one; an app-level token (xapp-…, connections:write) runs ' +
        'the bot in Socket Mode, the signing secret runs it over HTTP on PORT at /slack/events.',
    );
  throw new ConfigError(problems);
}

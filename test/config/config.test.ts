import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, requireSlack } from '../../src/config/index.js';

describe('loadConfig', () => {
  it('needs nothing on a fresh machine: embedded database under the XDG data folder', () => {
    const config = loadConfig({ HOME: '/home/ada' });
    expect(config.databaseUrl).toBeUndefined();
    expect(config.dataDir).toBe('/home/ada/.local/share/compass');
    expect(config.logLevel).toBe('info');
    expect(config.ollama).toBeUndefined();
  });

  it('reads every variable it knows', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgres://u@db:5432/compass',
      COMPASS_DATA_DIR: '/var/lib/compass',
      LOG_LEVEL: 'debug',
      OLLAMA_HOST: 'ollama:11434',
      OLLAMA_MODEL: 'llama3.1:8b',
      OLLAMA_TIMEOUT_MS: '2500',
      DEPLOY_CONTEXTS: 'prod',
      DEPLOY_NAMESPACES: 'llm',
      KNOWLEDGE_REFRESH_SECONDS: '300',
      INBOX_LEASE_MS: '5000',
      BOT_STOP_GRACE_MS: '1000',
      BOT_TURNS_AT_ONCE: '4',
    });
    expect(config).toEqual({
      databaseUrl: 'postgres://u@db:5432/compass',
      dataDir: '/var/lib/compass',
      logLevel: 'debug',
      ollama: { host: 'http://ollama:11434', model: 'llama3.1:8b', timeoutMs: 2500 },
      deploy: { contexts: ['prod'], namespaces: ['llm'] },
      manifests: expect.any(Object),
      worker: expect.any(Object),
      approvals: expect.any(Object),
      monitor: expect.any(Object),
      benchmark: expect.any(Object),
      knowledgeRefreshSec: 300,
      inbox: { leaseMs: 5000, stopGraceMs: 1000, turnsAtOnce: 4 },
    });
  });

  it('holds an unfinished Slack event 30 s and lets turns finish 20 s on SIGTERM unless told', () => {
    expect(loadConfig({ HOME: '/h' }).inbox).toEqual({
      leaseMs: 30_000,
      stopGraceMs: 20_000,
      turnsAtOnce: 8,
    });
    expect(() => loadConfig({ HOME: '/h', INBOX_LEASE_MS: '10' })).toThrow(/INBOX_LEASE_MS: /);
  });

  it('looks for a changed knowledge base every minute unless told, and refuses a period that is not whole seconds', () => {
    expect(loadConfig({ HOME: '/h' }).knowledgeRefreshSec).toBe(60);
    expect(() => loadConfig({ HOME: '/h', KNOWLEDGE_REFRESH_SECONDS: 'hourly' })).toThrow(
      /KNOWLEDGE_REFRESH_SECONDS: /,
    );
    expect(() => loadConfig({ HOME: '/h', KNOWLEDGE_REFRESH_SECONDS: '0' })).toThrow(
      /KNOWLEDGE_REFRESH_SECONDS: /,
    );
  });

  it('bounds a benchmark to 60 requests, 30 s sending and 20 s draining per rate point unless told', () => {
    expect(loadConfig({ HOME: '/h' }).benchmark).toEqual({
      maxRequestsPerPoint: 60,
      maxSecondsPerPoint: 30,
      drainSeconds: 20,
    });
    expect(
      loadConfig({
        HOME: '/h',
        BENCHMARK_MAX_REQUESTS: '200',
        BENCHMARK_POINT_SECONDS: '12.5',
        BENCHMARK_DRAIN_SECONDS: '5',
      }).benchmark,
    ).toEqual({ maxRequestsPerPoint: 200, maxSecondsPerPoint: 12.5, drainSeconds: 5 });
    expect(() => loadConfig({ HOME: '/h', BENCHMARK_MAX_REQUESTS: 'lots' })).toThrow(
      /BENCHMARK_MAX_REQUESTS: /,
    );
    expect(() => loadConfig({ HOME: '/h', BENCHMARK_POINT_SECONDS: '0' })).toThrow(
      /BENCHMARK_POINT_SECONDS: /,
    );
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ HOME: '/h', DATABASE_URL: '', OLLAMA_HOST: '  ' }).databaseUrl).toBeUndefined();
  });

  it('lists every bad value by its variable name', () => {
    let error: unknown;
    try {
      loadConfig({
        DATABASE_URL: 'mysql://x',
        LOG_LEVEL: 'loud',
        OLLAMA_HOST: 'http://o:1',
        OLLAMA_TIMEOUT_MS: 'soon',
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const { problems, message } = error as ConfigError;
    expect(problems).toHaveLength(3);
    expect(message).toMatch(/DATABASE_URL: must be a postgres/);
    expect(message).toMatch(/LOG_LEVEL:/);
    expect(message).toMatch(/OLLAMA_TIMEOUT_MS:/);
  });

  it('never echoes a secret value in its errors', () => {
    expect(() => loadConfig({ DATABASE_URL: 'mysql://admin:hunter2@db/x' })).toThrow(ConfigError);
    try {
      loadConfig({ DATABASE_URL: 'mysql://admin:hunter2@db/x' });
    } catch (error) {
      expect((error as Error).message).not.toContain('hunter2');
    }
  });
});

describe('Slack settings', () => {
  const slackEnv = {
    HOME: '/h',
    SLACK_BOT_TOKEN: 'xoxb-1-2-abc',
    SLACK_SIGNING_SECRET: '0123456789abcdef0123456789abcdef',
  };

  it('are absent until a SLACK_* variable is set, so other commands never need them', () => {
    expect(loadConfig({ HOME: '/h', PORT: '8080' }).slack).toBeUndefined();
    expect(() => requireSlack(loadConfig({ HOME: '/h' }))).toThrow(ConfigError);
  });

  it('run over HTTP with a signing secret, on PORT (3000 by default)', () => {
    expect(requireSlack(loadConfig(slackEnv))).toEqual({
      mode: 'http',
      botToken: 'xoxb-1-2-abc',
      signingSecret: '0123456789abcdef0123456789abcdef',
      port: 3000,
    });
    expect(requireSlack(loadConfig({ ...slackEnv, PORT: '8080' })).port).toBe(8080);
  });

  it('run in Socket Mode when an app token is set', () => {
    const settings = requireSlack(
      loadConfig({ ...slackEnv, SLACK_APP_TOKEN: 'xapp-1-A1-xyz', SLACK_API_URL: 'http://127.0.0.1:9/api/' }),
    );
    expect(settings).toMatchObject({
      mode: 'socket',
      appToken: 'xapp-1-A1-xyz',
      apiUrl: 'http://127.0.0.1:9/api/',
    });
  });

  it('name every variable `compass bot` still needs', () => {
    let error: unknown;
    try {
      requireSlack(loadConfig({ HOME: '/h', SLACK_API_URL: 'http://127.0.0.1:9/api/' }));
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const { problems } = error as ConfigError;
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^SLACK_BOT_TOKEN: not set/);
    expect(problems[1]).toMatch(/^SLACK_APP_TOKEN or SLACK_SIGNING_SECRET: set one/);
  });

  it('reject malformed values by variable name without echoing them', () => {
    let error: unknown;
    try {
      loadConfig({
        HOME: '/h',
        SLACK_BOT_TOKEN: 'xapp-secret-value',
        SLACK_APP_TOKEN: 'xoxb-other-secret',
        PORT: 'eighty',
      });
    } catch (caught) {
      error = caught;
    }
    const { problems, message } = error as ConfigError;
    expect(problems.map((problem) => problem.split(':')[0])).toEqual([
      'SLACK_BOT_TOKEN',
      'SLACK_APP_TOKEN',
      'PORT',
    ]);
    expect(message).not.toContain('secret-value');
    expect(message).not.toContain('other-secret');
  });
});

describe('deploy targets', () => {
  it('default to the namespace "compass" on the kubeconfig’s current context', () => {
    expect(loadConfig({ HOME: '/h' }).deploy).toEqual({ contexts: [], namespaces: ['compass'] });
  });

  it('read comma-separated contexts and namespaces', () => {
    const config = loadConfig({
      HOME: '/h',
      DEPLOY_CONTEXTS: 'prod, k3s ,',
      DEPLOY_NAMESPACES: 'llm,llm-staging',
    });
    expect(config.deploy).toEqual({ contexts: ['prod', 'k3s'], namespaces: ['llm', 'llm-staging'] });
  });

  it('refuse a namespace Kubernetes would refuse, naming the variable', () => {
    expect(() => loadConfig({ HOME: '/h', DEPLOY_NAMESPACES: 'llm,Bad_Name' })).toThrow(
      /DEPLOY_NAMESPACES: must be a DNS-1123 label/,
    );
    expect(() => loadConfig({ HOME: '/h', DEPLOY_NAMESPACES: ' , ' })).toThrow(
      /DEPLOY_NAMESPACES: name at least one namespace/,
    );
  });
});

describe('manifest settings', () => {
  it('default to pinned vLLM (CUDA and ROCm builds), the Compass image for the simulator, and allow exactly those repositories', () => {
    expect(loadConfig({ HOME: '/h' }).manifests).toEqual({
      vllmImage: 'vllm/vllm-openai:v0.19.1',
      vllmRocmImage: 'vllm/vllm-openai-rocm:v0.19.1',
      simulatorImage: 'compass:latest',
      simulator: false,
      imageAllowlist: ['vllm/vllm-openai:', 'vllm/vllm-openai-rocm:', 'compass:'],
      rollout: 'recreate',
      weightCache: 'volume',
      downloadMBps: 100,
      gpuQuota: 8,
      gpuNodeLabels: {},
      hfTokenSecret: { name: 'hf-token', key: 'token' },
      prometheusUrl: 'http://prometheus-operated.monitoring.svc:9090',
    });
  });

  it('refuse a vLLM image older than the memory model follows, naming the release to use', () => {
    for (const [variable, image] of [
      ['VLLM_IMAGE', 'vllm/vllm-openai:v0.11.0'],
      ['VLLM_ROCM_IMAGE', 'rocm/vllm:rocm7.0.0_vllm_0.11.2_20251210'],
      ['VLLM_IMAGE', 'registry.example.com:5000/vllm/vllm-openai:v0.17.1@sha256:' + 'a'.repeat(64)],
    ] as const) {
      expect(() => loadConfig({ HOME: '/h', [variable]: image }), image).toThrow(
        new RegExp(`${variable}: runs vLLM 0\\.1[17], older than the 0\\.18 .*Use a v0\\.18 or later image`),
      );
    }
    // Tags that name no version (a digest, a custom build) and current releases are the operator's call.
    for (const image of ['vllm/vllm-openai:latest', 'acme/vllm:nightly', 'vllm/vllm-openai:v0.18.0-cu130'])
      expect(loadConfig({ HOME: '/h', VLLM_IMAGE: image }).manifests.vllmImage).toBe(image);
  });

  it('read every variable', () => {
    const config = loadConfig({
      HOME: '/h',
      VLLM_IMAGE: 'registry.example.com/vllm/vllm-openai:v0.19.1',
      VLLM_ROCM_IMAGE: 'registry.example.com/rocm/vllm:0.19',
      SIMULATOR_IMAGE: 'registry.example.com/compass:0.1.0',
      DEPLOY_SIMULATOR: 'true',
      DEPLOY_ROLLOUT: 'rolling',
      DEPLOY_WEIGHT_CACHE: 'ephemeral',
      DEPLOY_WEIGHT_STORAGE_CLASS: 'fast-ssd',
      DEPLOY_DOWNLOAD_MBPS: '12.5',
      DEPLOY_IMAGE_ALLOWLIST: 'registry.example.com/, ghcr.io/acme/',
      DEPLOY_GPU_QUOTA: '16',
      DEPLOY_GPU_NODE_LABELS:
        '{"H100": {"nodeSelector": {"pool": "h100"}, "tolerations": [{"key": "gpu", "operator": "Exists"}]}}',
      HF_TOKEN_SECRET: 'hf/HF_TOKEN',
      DEPLOY_PROMETHEUS_URL: 'http://prometheus.monitoring:9090',
    });
    expect(config.manifests).toEqual({
      vllmImage: 'registry.example.com/vllm/vllm-openai:v0.19.1',
      vllmRocmImage: 'registry.example.com/rocm/vllm:0.19',
      simulatorImage: 'registry.example.com/compass:0.1.0',
      simulator: true,
      rollout: 'rolling',
      weightCache: 'ephemeral',
      weightStorageClass: 'fast-ssd',
      downloadMBps: 12.5,
      imageAllowlist: ['registry.example.com/', 'ghcr.io/acme/'],
      gpuQuota: 16,
      gpuNodeLabels: {
        H100: { nodeSelector: { pool: 'h100' }, tolerations: [{ key: 'gpu', operator: 'Exists' }] },
      },
      hfTokenSecret: { name: 'hf', key: 'HF_TOKEN' },
      prometheusUrl: 'http://prometheus.monitoring:9090',
    });
  });

  it('derive the allowlist from configured images and take a secret name alone', () => {
    const { manifests } = loadConfig({
      HOME: '/h',
      VLLM_IMAGE: `localhost:5000/vllm@sha256:${'a'.repeat(64)}`,
      DEPLOY_SIMULATOR: '0',
      HF_TOKEN_SECRET: 'huggingface',
    });
    expect(manifests.imageAllowlist).toEqual(['localhost:5000/vllm@', 'vllm/vllm-openai-rocm:', 'compass:']);
    expect(manifests.simulator).toBe(false);
    expect(manifests.hfTokenSecret).toEqual({ name: 'huggingface', key: 'token' });
  });

  it('name the variable of every bad value, inside JSON too', () => {
    let error: unknown;
    try {
      loadConfig({
        HOME: '/h',
        VLLM_IMAGE: 'vllm openai',
        DEPLOY_SIMULATOR: 'maybe',
        DEPLOY_GPU_QUOTA: 'lots',
        DEPLOY_GPU_NODE_LABELS: '{"H100": {"tolerations": [{"effect": "Sometimes"}]}}',
        HF_TOKEN_SECRET: 'HF Secret',
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems.map((problem) => problem.split(':')[0])).toEqual([
      'VLLM_IMAGE',
      'DEPLOY_SIMULATOR',
      'DEPLOY_GPU_QUOTA',
      'DEPLOY_GPU_NODE_LABELS.H100.tolerations.effect',
      'HF_TOKEN_SECRET.name',
    ]);
  });

  it('explain what DEPLOY_GPU_NODE_LABELS must hold when it is not JSON', () => {
    expect(() => loadConfig({ HOME: '/h', DEPLOY_GPU_NODE_LABELS: 'H100=pool:h100' })).toThrow(
      /DEPLOY_GPU_NODE_LABELS: must be a JSON object: GPU id → \{"nodeSelector"/,
    );
  });
});

describe('Prometheus for SLO monitoring', () => {
  it('is optional: unset means monitoring is off', () => {
    expect(loadConfig({ HOME: '/h' }).prometheusUrl).toBeUndefined();
    expect(loadConfig({ HOME: '/h', PROMETHEUS_URL: ' ' }).prometheusUrl).toBeUndefined();
  });

  it('reads PROMETHEUS_URL', () => {
    expect(
      loadConfig({ HOME: '/h', PROMETHEUS_URL: 'http://prometheus.monitoring:9090' }).prometheusUrl,
    ).toBe('http://prometheus.monitoring:9090');
  });

  it('refuses anything but an http(s) URL, naming the variable', () => {
    for (const value of ['prometheus:9090', 'ftp://prometheus', 'not a url']) {
      expect(() => loadConfig({ HOME: '/h', PROMETHEUS_URL: value })).toThrow(
        /PROMETHEUS_URL: must be an http:\/\/ or https:\/\/ URL/,
      );
    }
  });
});

describe('approvals', () => {
  it('default to nobody and four eyes: no request can be approved until approvers are configured', () => {
    expect(loadConfig({ HOME: '/h' }).approvals).toEqual({
      userIds: [],
      usergroupId: undefined,
      channelId: undefined,
      requesterMayApprove: false,
    });
  });

  it('read approver ids, a user group, the approvers’ channel and whether requesters may approve', () => {
    const config = loadConfig({
      HOME: '/h',
      APPROVER_USER_IDS: ' U0ADA, W0GRACE ,',
      APPROVER_USERGROUP_ID: 'S0PLATFORM',
      APPROVERS_CHANNEL_ID: 'C0APPROVALS',
      APPROVAL_REQUESTER_MAY_APPROVE: 'yes',
    });
    expect(config.approvals).toEqual({
      userIds: ['U0ADA', 'W0GRACE'],
      usergroupId: 'S0PLATFORM',
      channelId: 'C0APPROVALS',
      requesterMayApprove: true,
    });
    expect(
      loadConfig({ HOME: '/h', APPROVAL_REQUESTER_MAY_APPROVE: 'false' }).approvals.requesterMayApprove,
    ).toBe(false);
  });

  it('name each bad value by its variable', () => {
    let error: unknown;
    try {
      loadConfig({
        HOME: '/h',
        APPROVER_USER_IDS: 'U0ADA,@grace',
        APPROVER_USERGROUP_ID: 'platform-team',
        APPROVERS_CHANNEL_ID: '#approvals',
        APPROVAL_REQUESTER_MAY_APPROVE: 'sometimes',
      });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const { problems } = error as ConfigError;
    expect(problems).toEqual([
      expect.stringMatching(/^APPROVER_USER_IDS: must be Slack user ids/),
      expect.stringMatching(/^APPROVER_USERGROUP_ID: must be a Slack user group id/),
      expect.stringMatching(/^APPROVERS_CHANNEL_ID: must be a Slack channel id/),
      'APPROVAL_REQUESTER_MAY_APPROVE: must be true or false',
    ]);
  });
});

describe('worker settings', () => {
  it('default to the local Redis and bounded retries', () => {
    expect(loadConfig({ HOME: '/h' }).worker).toEqual({
      redisUrl: 'redis://127.0.0.1:6379',
      concurrency: 2,
      attempts: 6,
      backoffMs: 2000,
      readyTimeoutMs: 1_200_000,
      dispatchIntervalMs: 2000,
      requeueAfterMs: 120_000,
      changesBy: 'approvers',
      lockMs: 30000,
    });
  });

  it('read every variable and name the bad ones', () => {
    const worker = loadConfig({
      HOME: '/h',
      REDIS_URL: 'redis://redis:6379/1',
      WORKER_CONCURRENCY: '4',
      DEPLOY_ATTEMPTS: '3',
      DEPLOY_BACKOFF_MS: '50',
      DEPLOY_READY_TIMEOUT_MS: '60000',
      DEPLOY_DISPATCH_INTERVAL_MS: '100',
      DEPLOY_REQUEUE_AFTER_MS: '5000',
      DEPLOY_CHANGES_BY: 'anyone',
      WORKER_LOCK_MS: '2000',
      KUBECONFIG: '/etc/compass/kubeconfig',
    }).worker;
    expect(worker).toEqual({
      redisUrl: 'redis://redis:6379/1',
      concurrency: 4,
      attempts: 3,
      backoffMs: 50,
      readyTimeoutMs: 60000,
      dispatchIntervalMs: 100,
      requeueAfterMs: 5000,
      changesBy: 'anyone',
      lockMs: 2000,
      kubeconfig: '/etc/compass/kubeconfig',
    });
    let error: unknown;
    try {
      loadConfig({ HOME: '/h', REDIS_URL: 'http://redis', DEPLOY_ATTEMPTS: 'many' });
    } catch (caught) {
      error = caught;
    }
    expect((error as Error).message).toMatch(/REDIS_URL: must be a redis:\/\/ or rediss:\/\/ URL/);
    expect((error as Error).message).toMatch(/DEPLOY_ATTEMPTS: /);
  });
});

describe('monitoring settings', () => {
  it('evaluates every minute over 5 min and 1 h windows and posts the first summary 10 min after deploy', () => {
    expect(loadConfig({ HOME: '/h' }).monitor).toEqual({
      intervalSec: 60,
      firstSummarySec: 600,
      shortWindowSec: 300,
      longWindowSec: 3600,
    });
  });

  it('reads MONITOR_* variables', () => {
    const monitor = loadConfig({
      HOME: '/h',
      MONITOR_INTERVAL_SECONDS: '15',
      MONITOR_FIRST_SUMMARY_SECONDS: '0',
      MONITOR_SHORT_WINDOW_SECONDS: '120',
      MONITOR_LONG_WINDOW_SECONDS: '1800',
    }).monitor;
    expect(monitor).toEqual({
      intervalSec: 15,
      firstSummarySec: 0,
      shortWindowSec: 120,
      longWindowSec: 1800,
    });
  });

  it('names each bad value by its variable, and a long window that is not longer than the short one', () => {
    const problems = (env: Record<string, string>) => {
      try {
        loadConfig({ HOME: '/h', ...env });
      } catch (error) {
        return (error as ConfigError).problems;
      }
      return [];
    };
    expect(problems({ MONITOR_INTERVAL_SECONDS: 'often', MONITOR_FIRST_SUMMARY_SECONDS: '-5' })).toEqual([
      'MONITOR_INTERVAL_SECONDS: must be a whole number of seconds',
      'MONITOR_FIRST_SUMMARY_SECONDS: must be a whole number of seconds',
    ]);
    expect(problems({ MONITOR_INTERVAL_SECONDS: '0' })).toEqual([
      'MONITOR_INTERVAL_SECONDS: must be at least 1 second',
    ]);
    expect(problems({ MONITOR_SHORT_WINDOW_SECONDS: '600', MONITOR_LONG_WINDOW_SECONDS: '600' })).toEqual([
      'MONITOR_LONG_WINDOW_SECONDS: must be longer than the short window (MONITOR_SHORT_WINDOW_SECONDS)',
    ]);
  });
});

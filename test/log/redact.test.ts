import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliContext } from '../../src/cli/context.js';
import { intentOf } from '../../src/cli/extract.js';
import { createOllamaClient } from '../../src/intent/index.js';
import { redactSecrets, splitCredentials } from '../../src/log/index.js';
import { createPrometheusClient } from '../../src/monitor/prometheus.js';
import { catalogVocabulary } from '../intent/vocabulary.js';
import type { RunningServer } from '../standins/http.js';
import { listen } from '../standins/http.js';
import { capturedLogger } from '../support/log.js';
import { quietMs } from '../support/timing.js';

const PASSWORD = 'hunter2-Sup3rSecret';

describe('redactSecrets: secrets known by their shape', () => {
  it.each([
    [
      `http://admin:${PASSWORD}@prometheus.monitoring:9090/api`,
      'http://[redacted]@prometheus.monitoring:9090/api',
    ],
    [`fetch https://bot:${PASSWORD}@ollama:11434 failed`, 'fetch https://[redacted]@ollama:11434 failed'],
    ['Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.x', 'Authorization: Bearer [redacted]'],
    [
      'tokens xoxb-1234-5678-abcdEFGH, xapp-1-A0B1-99-ff and xoxp-9-9',
      'tokens [redacted], [redacted] and [redacted]',
    ],
    ['HF_TOKEN=hf_AbCdEfGhIjKlMnOp', 'HF_TOKEN=[redacted]'],
    ['https://h/q?api_key=abc123&page=2', 'https://h/q?api_key=[redacted]&page=2'],
  ])('%s', (text, redacted) => {
    expect(redactSecrets(text)).toBe(redacted);
  });

  it('leaves ordinary text and JSON alone', () => {
    const line = '{"url":"http://prometheus:9090","mail":"ada@example.com","msg":"p95 800 ms; xoxo-bye"}';
    expect(redactSecrets(line)).toBe(line);
  });

  it('is linear: a 300k-character hostile line takes milliseconds', () => {
    const hostile = `${'a'.repeat(100_000)}${'http://'.repeat(20_000)}${'xoxb-'.repeat(10_000)}`;
    expect(quietMs(() => redactSecrets(hostile), 1000)).toBeLessThan(1000);
  });

  it('splitCredentials turns user:pass@ into a Basic header and a URL safe to show', () => {
    expect(splitCredentials(`http://admin:${encodeURIComponent(`${PASSWORD}:@`)}@prom:9090/`)).toEqual({
      url: 'http://prom:9090/',
      authorization: `Basic ${Buffer.from(`admin:${PASSWORD}:@`).toString('base64')}`,
    });
    expect(splitCredentials('http://prom:9090')).toEqual({ url: 'http://prom:9090', authorization: null });
  });
});

describe('the logger redacts every line (issue 16: credentials reached the logs)', () => {
  it('in the message, in fields the redact paths do not know, and in an error’s message and stack', () => {
    const { log, text } = capturedLogger();
    const url = `http://admin:${PASSWORD}@prometheus:9090`;
    log.error(
      {
        event: 'x',
        target: url,
        err: new Error(`cannot reach ${url}`),
        nested: { deeper: [`Bearer ${PASSWORD}`] },
      },
      `failed at ${url}`,
    );
    expect(text()).not.toContain(PASSWORD);
    expect(text()).toContain('http://[redacted]@prometheus:9090');
    expect(() => JSON.parse(text())).not.toThrow();
  });
});

describe('credentials in PROMETHEUS_URL and OLLAMA_HOST are sent as a header, never shown', () => {
  let server: RunningServer;
  let authorizations: (string | undefined)[] = [];
  beforeAll(async () => {
    server = await listen((request, response) => {
      authorizations.push(request.headers.authorization);
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ status: 'success', data: { resultType: 'scalar', result: [1, '3'] } }));
    });
  });
  afterAll(() => server.close());
  const withCredentials = (url: string) => url.replace('http://', `http://admin:${PASSWORD}@`);

  it('the Prometheus client authenticates with Basic auth and shows its URL without the password', async () => {
    authorizations = [];
    const client = createPrometheusClient(withCredentials(server.url));
    expect(await client.query('vector(3)')).toMatchObject({ ok: true, value: [{ value: 3 }] });
    expect(authorizations).toEqual([`Basic ${Buffer.from(`admin:${PASSWORD}`).toString('base64')}`]);
    expect(client.url).toBe(server.url);
  });

  it('an unreachable Prometheus is reported (in SLO summaries and logs) without the password', async () => {
    const client = createPrometheusClient(`http://admin:${PASSWORD}@127.0.0.1:1`, { timeoutMs: 2000 });
    const answer = await client.query('up');
    expect(answer.ok).toBe(false);
    expect(JSON.stringify(answer)).not.toContain(PASSWORD);
    expect(JSON.stringify(answer)).toMatch(/Prometheus at http:\/\/127\.0\.0\.1:1 cannot be reached/);
  });

  it('intent.llm_failed log lines do not carry OLLAMA_HOST credentials', async () => {
    const { log, text } = capturedLogger();
    const ollama = { host: `http://admin:${PASSWORD}@127.0.0.1:1`, model: 'qwen', timeoutMs: 2000 };
    const context = { config: { ollama }, log } as unknown as CliContext;
    await intentOf(context, catalogVocabulary as never, 'chatbot for 10 users');
    expect(text()).toContain('intent.llm_failed');
    expect(text()).not.toContain(PASSWORD);
    // The client itself never puts the credentials in the URL it fetches.
    expect(() => createOllamaClient(ollama)).not.toThrow();
  });
});

/**
 * The Prometheus client's failure values against local stand-ins: nothing listening, a server that is not
 * Prometheus, one that never answers, and Prometheus's own error bodies. (Answers from a real Prometheus are in
 * collect.test.ts.)
 */
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { createPrometheusClient, monitoringUnavailable, prometheusFor } from '../../src/monitor/index.js';
import { listen, type RunningServer, readBody } from '../standins/http.js';
import { freePort } from '../support/ports.js';

let server: RunningServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** A stand-in answering every request with `status` and `body`, recording the form it was sent. */
async function answering(status: number, body: unknown, seen: URLSearchParams[] = []) {
  server = await listen(async (request, response) => {
    seen.push(new URLSearchParams(await readBody(request)));
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(typeof body === 'string' ? body : JSON.stringify(body));
  });
  return createPrometheusClient(`${server.url}/`);
}

describe('prometheusFor', () => {
  it('says what to configure when PROMETHEUS_URL is not set, instead of failing later', () => {
    expect(prometheusFor(loadConfig({ HOME: '/h' }))).toEqual({ ok: false, error: monitoringUnavailable });
    expect(monitoringUnavailable.message).toMatch(/set PROMETHEUS_URL to the Prometheus server/);
    const configured = prometheusFor(loadConfig({ HOME: '/h', PROMETHEUS_URL: 'http://prometheus:9090/' }));
    expect(configured.ok && configured.value.url).toBe('http://prometheus:9090');
  });
});

describe('the Prometheus client', () => {
  it('reports a Prometheus nothing listens on as unreachable, naming the URL', async () => {
    const port = await freePort();
    const result = await createPrometheusClient(`http://127.0.0.1:${port}`).query('up');
    expect(result).toEqual({
      ok: false,
      error: {
        kind: 'unreachable',
        message: expect.stringMatching(
          new RegExp(
            `^Prometheus at http://127\\.0\\.0\\.1:${port} cannot be reached \\(.*ECONNREFUSED.*\\); check PROMETHEUS_URL\\.$`,
          ),
        ),
      },
    });
  });

  it('reports a server that does not answer in time as unreachable', async () => {
    server = await listen(() => new Promise(() => {}));
    const result = await createPrometheusClient(server.url, { timeoutMs: 200 }).query('up');
    expect(result.ok || result.error).toEqual({
      kind: 'unreachable',
      message: `Prometheus at ${server.url} did not answer within 200 ms; check PROMETHEUS_URL.`,
    });
  });

  it('reports a server that is not Prometheus as unreachable', async () => {
    const html = await answering(404, '<html>Not Found</html>');
    expect(await html.query('up')).toMatchObject({
      ok: false,
      error: { kind: 'unreachable', message: expect.stringContaining('HTTP 404 without Prometheus') },
    });
    const json = await answering(200, { hello: 'world' });
    expect(await json.query('up')).toMatchObject({ ok: false, error: { kind: 'unreachable' } });
  });

  it('passes a refused query on as bad-query with Prometheus’s reason, and a failing server as unreachable', async () => {
    const refused = await answering(400, { status: 'error', errorType: 'bad_data', error: 'parse error: x' });
    expect(await refused.query('sum(')).toEqual({
      ok: false,
      error: {
        kind: 'bad-query',
        message: 'Prometheus rejected the query (bad_data): parse error: x',
        query: 'sum(',
      },
    });
    const broken = await answering(503, {
      status: 'error',
      errorType: 'unavailable',
      error: 'TSDB not ready',
    });
    expect(await broken.query('up')).toMatchObject({
      ok: false,
      error: {
        kind: 'unreachable',
        message: expect.stringContaining('failed (unavailable: TSDB not ready)'),
      },
    });
  });

  it('sends the query and its instant as a form, and reads NaN and infinities', async () => {
    const seen: URLSearchParams[] = [];
    const client = await answering(
      200,
      {
        status: 'success',
        data: {
          resultType: 'vector',
          result: [
            { metric: { a: '1' }, value: [1, 'NaN'] },
            { metric: {}, value: [1, '+Inf'] },
            { metric: {}, value: [1, '-Inf'] },
            { metric: {}, value: [1, '0.25'] },
          ],
        },
      },
      seen,
    );
    const result = await client.query('x', new Date(1_700_000_000_500));
    expect(seen[0]?.get('query')).toBe('x');
    expect(seen[0]?.get('time')).toBe('1700000000.5');
    expect(result.ok && result.value.map((s) => s.value)).toEqual([
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      0.25,
    ]);
  });

  it('answers a scalar as one unlabelled sample and refuses a string result', async () => {
    const scalar = await answering(200, {
      status: 'success',
      data: { resultType: 'scalar', result: [1, '3'] },
    });
    expect(await scalar.query('3')).toEqual({ ok: true, value: [{ labels: {}, value: 3 }] });
    const text = await answering(200, {
      status: 'success',
      data: { resultType: 'string', result: [1, 'a'] },
    });
    expect(await text.query('"a"')).toMatchObject({ ok: false, error: { kind: 'bad-query' } });
  });
});

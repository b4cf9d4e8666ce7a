/**
 * The simulator's HTTP face: vLLM's OpenAI-compatible routes (/v1/chat/completions, /v1/completions, /v1/models),
 * /health, /ping, /version and /metrics, in front of the simulated engine. Requests pay the planner's per-request
 * overhead (HTTP, tokenization) before entering the engine, then stream one SSE chunk per generated token as the
 * engine's steps end. Requests are counted in vLLM's HTTP metrics as its instrumentator counts them (metrics.ts,
 * HttpMetrics). Faults for tests and demos: a seeded share of requests fail with 500, /health reports 503 for
 * the first seconds, and a crash (after some seconds or requests) drops every connection and stops the engine.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { VLLM_VERSION } from '../src/planner/assumptions.js';
import type { EngineTiming } from '../src/planner/engine-timing.js';
import { type EngineClock, realClock, type SequenceSummary, SimulatedEngine } from './engine.js';
import { type FinishReason, HttpMetrics, httpHandler, VllmMetrics } from './metrics.js';
import {
  ApiError,
  badRequest,
  chatResponse,
  checkContextLength,
  completionResponse,
  errorBody,
  type GenerationRequest,
  modelList,
  parseChatRequest,
  parseCompletionRequest,
  type ResponseIdentity,
  roleChunk,
  streamChunk,
  usage,
  usageChunk,
} from './protocol.js';
import { fillerToken, normalDraw, seededRandom } from './text.js';

const MAX_BODY_BYTES = 32 * 1024 * 1024;
/** Spread of natural answer lengths (coefficient of variation) when a chat request sets no max_tokens. */
const NATURAL_LENGTH_CV = 0.5;

export interface Faults {
  /** Share of generation requests answered with HTTP 500, 0–1 (seeded, so a run repeats). */
  failFraction: number;
  /** Wall-clock seconds after start during which /health answers 503 and generation requests are refused. */
  unreadySeconds: number;
  /** Crash this many wall-clock seconds after start. */
  crashAfterSeconds: number | null;
  /** Crash when this many generation requests have arrived (the last one included). */
  crashAfterRequests: number | null;
}

export const NO_FAULTS: Faults = {
  failFraction: 0,
  unreadySeconds: 0,
  crashAfterSeconds: null,
  crashAfterRequests: null,
};

export interface SimulatorConfig {
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** The name clients send as `model` and metrics carry as model_name (vLLM's --served-model-name). */
  servedModelName: string;
  /** The Hugging Face id being simulated (the `root` of /v1/models). */
  modelRoot: string;
  timing: EngineTiming;
  /** Multiplies every modelled duration: 1 = real time, 0.1 = ten times faster. */
  timeScale: number;
  seed: number;
  /** Mean length of an answer when a chat request sets no max_tokens. */
  defaultOutputTokens: number;
  faults: Faults;
  /** What paces the engine and stamps latencies; real time unless a test brings its own. */
  clock?: EngineClock;
}

export class SimulatedCrash extends Error {
  constructor(reason: string) {
    super(`simulated crash: ${reason}`);
    this.name = 'SimulatedCrash';
  }
}

export interface RunningSimulator {
  url: string;
  port: number;
  /** Stops accepting connections, lets every request in flight finish, then closes. */
  drain(): Promise<void>;
  /** Settles (never rejects) when a crash fault fires. */
  crashed: Promise<SimulatedCrash>;
}

type Route = (req: IncomingMessage, res: ServerResponse) => Promise<void> | void;

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  // Set rather than passed to writeHead, so the HTTP metrics can read Content-Length back.
  res.setHeader('content-type', 'application/json');
  res.setHeader('content-length', Buffer.byteLength(text));
  res.writeHead(status);
  res.end(text);
}

function sendError(res: ServerResponse, error: ApiError): void {
  if (res.headersSent) {
    // Mid-stream failures travel as one SSE event with the error body, as vLLM sends them.
    res.end(`data: ${JSON.stringify(errorBody(error))}\n\ndata: [DONE]\n\n`);
    return;
  }
  sendJson(res, error.status, errorBody(error));
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const mediaType = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (mediaType !== 'application/json') {
    throw badRequest("Unsupported Media Type: Only 'application/json' is allowed");
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new ApiError(413, 'Request Entity Too Large', 'Request body too large');
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch (error) {
    throw badRequest(`JSON decode error: ${error instanceof Error ? error.message : String(error)}`);
  }
}

export async function startSimulator(config: SimulatorConfig): Promise<RunningSimulator> {
  const clock = config.clock ?? realClock;
  const { timing, faults } = config;
  // Two independent streams from one seed: the server's (faults, answer lengths) and the engine's (step jitter).
  const random = seededRandom(2 * config.seed);
  const startedAt = clock.now();
  const createdSec = Math.floor(Date.now() / 1000);
  let draining = false;
  let crashedWith: SimulatedCrash | null = null;
  let generationRequests = 0;
  let inFlight = 0;
  let onSettled: (() => void) | null = null;
  const timers: NodeJS.Timeout[] = [];

  // The metrics read the engine's gauges at scrape time; the engine reports each step to the metrics.
  const metrics: VllmMetrics = new VllmMetrics(
    {
      modelName: config.servedModelName,
      maxModelLen: timing.maxModelLen,
      cacheConfig: {
        block_size: String(timing.blockTokens),
        cache_dtype: timing.deployment.engine.kvCacheDtype,
        gpu_memory_utilization: String(timing.deployment.engine.gpuMemoryUtilization),
        num_gpu_blocks: String(timing.kvBlocks),
        enable_prefix_caching: 'False',
      },
    },
    {
      running: () => engine.runningCount,
      waiting: () => engine.waitingCount,
      kvCacheUsage: () => engine.kvCacheUsage,
    },
  );
  const http = new HttpMetrics(metrics.registry);
  const engine = new SimulatedEngine(timing, {
    timeScale: config.timeScale,
    seed: 2 * config.seed + 1,
    clock,
    onStep: (step) => metrics.step(step.preemptions),
  });

  const ready = () => !draining && clock.now() - startedAt >= faults.unreadySeconds * 1e3;
  const overheadMs = timing.factors.requestOverheadMs * config.timeScale;

  /** How many tokens to generate and why the answer ends. */
  function outputPlan(request: GenerationRequest): { tokens: number; reason: FinishReason } {
    const room = timing.maxModelLen - request.promptTokens;
    // An explicit limit is met exactly (as load generators that ignore EOS expect).
    if (request.maxTokens !== null) return { tokens: request.maxTokens, reason: 'length' };
    const sigma = Math.sqrt(Math.log(1 + NATURAL_LENGTH_CV ** 2));
    const natural = Math.round(
      config.defaultOutputTokens * Math.exp(sigma * normalDraw(random) - (sigma * sigma) / 2),
    );
    const tokens = Math.max(natural, request.minTokens, 1);
    return tokens >= room ? { tokens: room, reason: 'length' } : { tokens, reason: 'stop' };
  }

  function crash(reason: string): void {
    if (crashedWith) return;
    crashedWith = new SimulatedCrash(reason);
    engine.halt();
    server.close();
    server.closeAllConnections();
    for (const timer of timers) clearTimeout(timer);
    resolveCrash(crashedWith);
  }

  async function generate(kind: GenerationRequest['kind'], req: IncomingMessage, res: ServerResponse) {
    const arrival = clock.now();
    if (!ready()) {
      throw new ApiError(
        503,
        'Service Unavailable',
        draining ? 'The server is shutting down' : 'The server is not ready yet',
      );
    }
    const body = await readJson(req);
    const request = kind === 'chat' ? parseChatRequest(body) : parseCompletionRequest(body);
    if (request.model !== null && request.model !== config.servedModelName) {
      throw new ApiError(404, 'NotFoundError', `The model \`${request.model}\` does not exist.`, 'model');
    }
    checkContextLength(request, timing.maxModelLen);
    generationRequests += 1;
    if (faults.crashAfterRequests !== null && generationRequests >= faults.crashAfterRequests) {
      crash(`${generationRequests} requests received (--crash-after-requests)`);
      return;
    }
    if (random() < faults.failFraction) {
      throw new ApiError(
        500,
        'InternalServerError',
        'Simulated engine failure (fault injection: --fail-fraction)',
      );
    }
    const plan = outputPlan(request);
    const textSeed = (config.seed * 0x9e3779b1 + generationRequests) >>> 0;
    const who: ResponseIdentity = {
      id: `${kind === 'chat' ? 'chatcmpl' : 'cmpl'}-${randomUUID().replaceAll('-', '')}`,
      created: Math.floor(Date.now() / 1000),
      model: config.servedModelName,
    };
    const sse = (payload: unknown) => res.write(`data: ${JSON.stringify(payload)}\n\n`);
    if (request.stream) res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8' });

    let clientGone = false;
    let abort: (() => void) | null = null;
    res.on('close', () => {
      if (res.writableEnded) return;
      clientGone = true;
      abort?.();
    });
    if (overheadMs > 0) await new Promise<void>((resolve) => clock.setTimer(resolve, overheadMs));
    if (clientGone || crashedWith) return;

    const pieces: string[] = [];
    let previousAt = arrival;
    await new Promise<void>((resolve) => {
      const handle = engine.submit({
        promptTokens: request.promptTokens,
        outputTokens: plan.tokens,
        onToken(index, at) {
          const piece = fillerToken(textSeed, index);
          pieces.push(piece);
          if (index === 0) metrics.firstToken((at - arrival) / 1e3, request.promptTokens);
          else metrics.nextToken((at - previousAt) / 1e3);
          previousAt = at;
          if (!request.stream) return;
          const soFar = request.continuousUsage ? usage(request.promptTokens, index + 1) : null;
          if (index === 0 && kind === 'chat') sse(roleChunk(who, soFar));
          const last = index + 1 === plan.tokens;
          sse(streamChunk(kind, who, piece, last ? plan.reason : null, soFar));
        },
        onFinish(summary: SequenceSummary) {
          resolve();
          const endedAt = summary.lastTokenAt ?? clock.now();
          metrics.finished({
            reason: summary.aborted ? 'abort' : plan.reason,
            summary,
            e2eSec: (endedAt - arrival) / 1e3,
            maxTokensParam: request.maxTokens,
            maxGenerationTokens: request.maxTokens ?? timing.maxModelLen - request.promptTokens,
          });
          if (summary.aborted) return;
          const used = usage(request.promptTokens, summary.generatedTokens);
          if (request.stream) {
            if (request.includeUsage) sse(usageChunk(kind, who, used));
            res.end('data: [DONE]\n\n');
            return;
          }
          const text = pieces.join('');
          sendJson(
            res,
            200,
            kind === 'chat'
              ? chatResponse(who, text, plan.reason, used)
              : completionResponse(who, text, plan.reason, used),
          );
        },
      });
      abort = handle.abort;
    });
  }

  const routes = new Map<string, Record<string, Route>>([
    ['/health', { GET: (_req, res) => health(res) }],
    ['/ping', { GET: (_req, res) => health(res), POST: (_req, res) => health(res) }],
    ['/version', { GET: (_req, res) => sendJson(res, 200, { version: VLLM_VERSION }) }],
    [
      '/v1/models',
      {
        GET: (_req, res) =>
          sendJson(
            res,
            200,
            modelList(config.servedModelName, config.modelRoot, timing.maxModelLen, createdSec),
          ),
      },
    ],
    [
      '/metrics',
      {
        GET: async (_req, res) => {
          const text = await metrics.registry.metrics();
          res.writeHead(200, { 'content-type': metrics.registry.contentType });
          res.end(text);
        },
      },
    ],
    ['/v1/chat/completions', { POST: (req, res) => generate('chat', req, res) }],
    ['/v1/completions', { POST: (req, res) => generate('completion', req, res) }],
  ]);

  function health(res: ServerResponse): void {
    if (ready()) {
      res.writeHead(200, { 'content-length': 0 });
      res.end();
    } else sendJson(res, 503, errorBody(new ApiError(503, 'Service Unavailable', 'The server is not ready')));
  }

  const server: Server = createServer((req, res) => {
    const arrivedAt = clock.now();
    const method = req.method ?? '';
    const path = (req.url ?? '/').split('?')[0]!;
    const byMethod = routes.get(path);
    const route = byMethod && Object.hasOwn(byMethod, method) ? byMethod[method] : undefined;
    const handler = httpHandler(route ? path : null, path);
    inFlight += 1;
    res.on('close', () => {
      inFlight -= 1;
      if (handler !== null) {
        http.observe({
          handler,
          method,
          // A client gone before any answer leaves vLLM's cancelled handler returning null, sent as a 200.
          status: res.headersSent ? res.statusCode : 200,
          durationSec: (clock.now() - arrivedAt) / 1e3,
          requestBytes: Number(req.headers['content-length'] ?? 0),
          responseBytes: Number(res.getHeader('content-length') ?? 0),
        });
      }
      if (inFlight === 0) onSettled?.();
    });
    if (draining) res.setHeader('connection', 'close');
    // Unknown routes get Starlette's own bodies, as from vLLM.
    if (!byMethod) return sendJson(res, 404, { detail: 'Not Found' });
    if (!route) return sendJson(res, 405, { detail: 'Method Not Allowed' });
    Promise.resolve()
      .then(() => route(req, res))
      .catch((error: unknown) => {
        if (res.destroyed) return;
        sendError(
          res,
          error instanceof ApiError
            ? error
            : new ApiError(
                500,
                'InternalServerError',
                error instanceof Error ? error.message : String(error),
              ),
        );
      });
  });

  let resolveCrash: (crash: SimulatedCrash) => void = () => {};
  const crashed = new Promise<SimulatedCrash>((resolve) => {
    resolveCrash = resolve;
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  if (faults.crashAfterSeconds !== null) {
    const seconds = faults.crashAfterSeconds;
    timers.push(setTimeout(() => crash(`${seconds} s after start (--crash-after-seconds)`), seconds * 1e3));
  }
  const port = (server.address() as AddressInfo).port;
  const shownHost = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;

  return {
    url: `http://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${port}`,
    port,
    crashed,
    async drain() {
      if (!draining) {
        draining = true;
        for (const timer of timers) clearTimeout(timer);
        server.close();
        server.closeIdleConnections();
      }
      if (inFlight > 0) await new Promise<void>((resolve) => (onSettled = resolve));
      await engine.whenIdle();
      server.closeAllConnections();
    },
  };
}

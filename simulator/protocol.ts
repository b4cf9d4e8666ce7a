/**
 * The OpenAI-compatible wire format as vLLM 0.11 speaks it: request validation (pydantic-style 400s), error bodies
 * (`{"error": {"message", "type", "param", "code"}}`, vllm/entrypoints/openai/protocol.py ErrorResponse), and the
 * response and server-sent-event chunk shapes of /v1/chat/completions and /v1/completions.
 */
import { z } from 'zod';
import { CHAT_TOKENS_PER_CONVERSATION, CHAT_TOKENS_PER_MESSAGE, textTokens } from './text.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
    readonly param: string | null = null,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export function errorBody(error: ApiError) {
  return { error: { message: error.message, type: error.type, param: error.param, code: error.status } };
}

/** FastAPI turns request validation failures into 400 "Bad Request" (vLLM's validation_exception_handler). */
export const badRequest = (message: string, param: string | null = null) =>
  new ApiError(400, 'Bad Request', message, param);
/** Errors vLLM raises while serving a valid request (ValueError → BadRequestError). */
export const invalidRequest = (message: string, param: string | null = null) =>
  new ApiError(400, 'BadRequestError', message, param);

const optionalInt = z.number().int().nullish();

const StreamOptions = z
  .looseObject({ include_usage: z.boolean().nullish(), continuous_usage_stats: z.boolean().nullish() })
  .nullish();

const sampling = {
  model: z.string().nullish(),
  stream: z.boolean().nullish(),
  stream_options: StreamOptions,
  max_tokens: optionalInt,
  min_tokens: optionalInt,
  n: optionalInt,
};

const ContentPart = z.looseObject({ type: z.string(), text: z.string().nullish() });
const Message = z.looseObject({
  role: z.string(),
  content: z.union([z.string(), z.array(ContentPart)]).nullish(),
});

const ChatCompletionRequest = z.looseObject({
  ...sampling,
  messages: z.array(Message).min(1),
  max_completion_tokens: optionalInt,
});

const CompletionRequest = z.looseObject({
  ...sampling,
  prompt: z.union([
    z.string(),
    z.array(z.string()).min(1),
    z.array(z.number().int().nonnegative()).min(1),
    z.array(z.array(z.number().int().nonnegative()).min(1)).min(1),
  ]),
});

/** A validated generation request, reduced to what the engine and the response need. */
export interface GenerationRequest {
  kind: 'chat' | 'completion';
  model: string | null;
  promptTokens: number;
  /** The request's max_tokens (max_completion_tokens for chat); null when absent. */
  maxTokens: number | null;
  minTokens: number;
  stream: boolean;
  includeUsage: boolean;
  continuousUsage: boolean;
}

/** pydantic's message layout: "N validation errors for Model", then each field path and what is wrong. */
function validationMessage(schemaName: string, error: z.ZodError): string {
  const lines = error.issues.map((issue) => {
    const path = issue.path.length > 0 ? issue.path.join('.') : 'body';
    const missing = issue.code === 'invalid_type' && issue.message.includes('received undefined');
    return `${path}\n  ${missing ? 'Field required' : issue.message}`;
  });
  const count = error.issues.length;
  return `${count} validation error${count === 1 ? '' : 's'} for ${schemaName}\n${lines.join('\n')}`;
}

function parse<T>(schema: z.ZodType<T>, schemaName: string, body: unknown): T {
  const result = schema.safeParse(body);
  if (!result.success) {
    const first = result.error.issues[0]?.path[0];
    throw badRequest(validationMessage(schemaName, result.error), typeof first === 'string' ? first : null);
  }
  return result.data;
}

function common(
  request: z.infer<typeof ChatCompletionRequest> | z.infer<typeof CompletionRequest>,
  maxTokens: number | null,
) {
  if (request.n !== undefined && request.n !== null && request.n !== 1) {
    throw invalidRequest('The simulator generates one choice per request; n must be 1.', 'n');
  }
  if (maxTokens !== null && maxTokens < 1) {
    throw invalidRequest(`max_tokens must be at least 1, got ${maxTokens}.`, 'max_tokens');
  }
  const minTokens = request.min_tokens ?? 0;
  if (minTokens < 0) throw invalidRequest(`min_tokens must be greater than or equal to 0, got ${minTokens}.`);
  if (maxTokens !== null && minTokens > maxTokens) {
    throw invalidRequest(
      `min_tokens must be less than or equal to max_tokens=${maxTokens}, got ${minTokens}.`,
      'min_tokens',
    );
  }
  const stream = request.stream ?? false;
  if (!stream && request.stream_options) {
    throw badRequest('Stream options can only be defined when `stream=True`.', 'stream_options');
  }
  return {
    model: request.model ?? null,
    maxTokens,
    minTokens,
    stream,
    includeUsage: request.stream_options?.include_usage ?? false,
    continuousUsage: request.stream_options?.continuous_usage_stats ?? false,
  };
}

export function parseChatRequest(body: unknown): GenerationRequest {
  const request = parse(ChatCompletionRequest, 'ChatCompletionRequest', body);
  let promptTokens = CHAT_TOKENS_PER_CONVERSATION;
  for (const message of request.messages) {
    promptTokens += CHAT_TOKENS_PER_MESSAGE;
    const content = message.content;
    if (typeof content === 'string') promptTokens += textTokens(content);
    else if (content) {
      for (const part of content) {
        if (part.type !== 'text') {
          throw invalidRequest(
            `The simulated model serves text only; content part type '${part.type}' is not supported.`,
            'messages',
          );
        }
        promptTokens += textTokens(part.text ?? '');
      }
    }
  }
  const maxTokens = request.max_completion_tokens ?? request.max_tokens ?? null;
  return { kind: 'chat', promptTokens, ...common(request, maxTokens) };
}

/** vLLM's CompletionRequest.max_tokens defaults to 16, as OpenAI's legacy completions API does. */
export const COMPLETION_DEFAULT_MAX_TOKENS = 16;

export function parseCompletionRequest(body: unknown): GenerationRequest {
  const request = parse(CompletionRequest, 'CompletionRequest', body);
  const prompt = request.prompt;
  let promptTokens: number;
  if (typeof prompt === 'string') promptTokens = textTokens(prompt);
  else if (prompt.length !== 1 && typeof prompt[0] !== 'number') {
    throw invalidRequest(
      'The simulator serves one prompt per request; send a batch as separate requests.',
      'prompt',
    );
  } else {
    const single = prompt.length === 1 && typeof prompt[0] !== 'number' ? prompt[0]! : prompt;
    promptTokens = typeof single === 'string' ? textTokens(single) : (single as number[]).length;
  }
  if (promptTokens < 1) throw invalidRequest('Prompt cannot be empty', 'prompt');
  const maxTokens = request.max_tokens ?? COMPLETION_DEFAULT_MAX_TOKENS;
  return { kind: 'completion', promptTokens, ...common(request, maxTokens) };
}

/** vLLM's context-length check (serving_engine._validate_input). */
export function checkContextLength(request: GenerationRequest, maxModelLen: number): void {
  const prompt = request.promptTokens;
  if (prompt >= maxModelLen) {
    throw invalidRequest(
      `This model's maximum context length is ${maxModelLen} tokens. However, your request has ${prompt} input tokens. Please reduce the length of the input messages.`,
    );
  }
  if (request.maxTokens !== null && prompt + request.maxTokens > maxModelLen) {
    throw invalidRequest(
      `This model's maximum context length is ${maxModelLen} tokens. However, you requested ${prompt + request.maxTokens} tokens (${prompt} in the messages, ${request.maxTokens} in the completion). Please reduce the length of the messages or completion.`,
    );
  }
}

export interface Usage {
  prompt_tokens: number;
  total_tokens: number;
  completion_tokens: number;
  prompt_tokens_details: null;
}

export function usage(promptTokens: number, completionTokens: number): Usage {
  return {
    prompt_tokens: promptTokens,
    total_tokens: promptTokens + completionTokens,
    completion_tokens: completionTokens,
    prompt_tokens_details: null,
  };
}

export interface ResponseIdentity {
  id: string;
  created: number;
  model: string;
}

export function chatResponse(who: ResponseIdentity, text: string, finishReason: string, use: Usage) {
  return {
    id: who.id,
    object: 'chat.completion',
    created: who.created,
    model: who.model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: text,
          refusal: null,
          annotations: null,
          audio: null,
          function_call: null,
          tool_calls: [],
          reasoning_content: null,
        },
        logprobs: null,
        finish_reason: finishReason,
        stop_reason: null,
      },
    ],
    service_tier: null,
    system_fingerprint: null,
    usage: use,
    prompt_logprobs: null,
    kv_transfer_params: null,
  };
}

export function completionResponse(who: ResponseIdentity, text: string, finishReason: string, use: Usage) {
  return {
    id: who.id,
    object: 'text_completion',
    created: who.created,
    model: who.model,
    choices: [
      {
        index: 0,
        text,
        logprobs: null,
        finish_reason: finishReason,
        stop_reason: null,
        prompt_logprobs: null,
      },
    ],
    service_tier: null,
    system_fingerprint: null,
    usage: use,
    kv_transfer_params: null,
  };
}

/** One SSE chunk carrying `text` (and the finish reason on the last token). */
export function streamChunk(
  kind: GenerationRequest['kind'],
  who: ResponseIdentity,
  text: string,
  finishReason: string | null,
  use: Usage | null,
) {
  const choice =
    kind === 'chat'
      ? {
          index: 0,
          delta: { content: text },
          logprobs: null,
          finish_reason: finishReason,
          ...(finishReason === null ? {} : { stop_reason: null }),
        }
      : { index: 0, text, logprobs: null, finish_reason: finishReason, stop_reason: null };
  return {
    id: who.id,
    object: kind === 'chat' ? 'chat.completion.chunk' : 'text_completion',
    created: who.created,
    model: who.model,
    choices: [choice],
    ...(use ? { usage: use } : {}),
  };
}

/** The chat stream opens with the assistant role, sent with the first token (vLLM's first_iteration chunk). */
export function roleChunk(who: ResponseIdentity, use: Usage | null) {
  return {
    id: who.id,
    object: 'chat.completion.chunk',
    created: who.created,
    model: who.model,
    choices: [{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }],
    ...(use ? { usage: use } : {}),
  };
}

/** The closing usage chunk of stream_options.include_usage. */
export function usageChunk(kind: GenerationRequest['kind'], who: ResponseIdentity, use: Usage) {
  return {
    id: who.id,
    object: kind === 'chat' ? 'chat.completion.chunk' : 'text_completion',
    created: who.created,
    model: who.model,
    choices: [],
    usage: use,
  };
}

export function modelList(served: string, root: string, maxModelLen: number, created: number) {
  return {
    object: 'list',
    data: [
      {
        id: served,
        object: 'model',
        created,
        owned_by: 'vllm',
        root,
        parent: null,
        max_model_len: maxModelLen,
        permission: [
          {
            id: `modelperm-${served.replace(/[^A-Za-z0-9]/g, '').slice(0, 32)}`,
            object: 'model_permission',
            created,
            allow_create_engine: false,
            allow_sampling: true,
            allow_logprobs: true,
            allow_search_indices: false,
            allow_view: true,
            allow_fine_tuning: false,
            organization: '*',
            group: null,
            is_blocking: false,
          },
        ],
      },
    ],
  };
}

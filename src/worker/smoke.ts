import { DeployStepError } from './runner.js';

/**
 * One small completion through the service, as a user's first request would go: proves the model answers, not just
 * that the pod reports Ready. A refusal or silence is a transient failure (a fresh server may still be warming up).
 */
export async function smokeRequest(
  endpoint: string,
  servedModelName: string,
  timeoutMs: number,
): Promise<void> {
  const url = `${endpoint.replace(/\/+$/, '')}/v1/completions`;
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: servedModelName, prompt: 'Say hello.', max_tokens: 1 }),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    const reason =
      error instanceof Error
        ? error.cause instanceof Error
          ? error.cause.message
          : error.message
        : String(error);
    throw new DeployStepError('smoke', true, `the service did not answer at ${url}: ${reason}`);
  }
  const body = await response.text();
  if (!response.ok) {
    throw new DeployStepError(
      'smoke',
      response.status >= 500 || response.status === 429,
      `the service answered ${response.status} at ${url}: ${body.slice(0, 200)}`,
    );
  }
  let choices: unknown;
  try {
    choices = (JSON.parse(body) as { choices?: unknown }).choices;
  } catch {
    choices = undefined;
  }
  if (!Array.isArray(choices) || choices.length === 0)
    throw new DeployStepError('smoke', false, `the service at ${url} answered without a completion`);
}

// The Hub's refusals and an unreachable Hub as one line each that says what to do.
import { HubApiError, InvalidApiResponseFormatError } from '@huggingface/hub';

/** A request that never got an answer (no network, DNS, refused connection). */
export class HubUnreachable extends Error {}

/**
 * fetch for the Hub client: a failed connection becomes HubUnreachable, and the Hub's
 * X-Error-Code of the last refused request is kept (RepoNotFound, RevisionNotFound, GatedRepo).
 * Metadata requests (the API, a file's first byte) give up after HF_HUB_ETAG_TIMEOUT seconds (10,
 * as Python's), so that a network that drops packets falls back to the cache instead of hanging.
 */
export function hubFetch(hubUrl: string, env: NodeJS.ProcessEnv = process.env): { fetch: typeof fetch; lastErrorCode: () => string | undefined } {
  let code: string | undefined;
  const timeoutS = Number(env.HF_HUB_ETAG_TIMEOUT) > 0 ? Number(env.HF_HUB_ETAG_TIMEOUT) : 10;
  const wrapped = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = String(input instanceof Request ? input.url : input);
    const metadata = url.includes('/api/') || new Headers(init?.headers).get('range') === 'bytes=0-0';
    let res: Response;
    try {
      res = await fetch(input, { ...init, signal: init?.signal ?? (metadata ? AbortSignal.timeout(timeoutS * 1000) : undefined) });
    } catch (e) {
      const cause = (e as Error).cause as NodeJS.ErrnoException | undefined;
      const why = (e as Error).name === 'TimeoutError' ? `no answer in ${timeoutS} s` : cause?.code ?? cause?.message ?? (e as Error).message;
      throw new HubUnreachable(`cannot reach ${hubUrl} (${why})`);
    }
    if (!res.ok) code = res.headers.get('x-error-code') ?? undefined;
    return res;
  };
  return { fetch: wrapped as typeof fetch, lastErrorCode: () => code };
}

export interface RefusalContext {
  /** the id as the user wrote it */
  text: string;
  repo: string;
  revision: string;
  hubUrl: string;
  hasToken: boolean;
  errorCode?: string;
}

/** The user's message for an error of the Hub client; other errors are returned as they are. */
export function explainHubError(e: unknown, c: RefusalContext): unknown {
  if (e instanceof TypeError && /access token must start with 'hf_'/.test(e.message)) {
    return new Error(`${c.text}: HF_TOKEN is not a Hugging Face access token (those start with hf_; see https://huggingface.co/settings/tokens)`);
  }
  // An answer the client cannot read (a web page where JSON was due, no ETag): not a Hub.
  if (e instanceof SyntaxError || e instanceof InvalidApiResponseFormatError) {
    return new Error(`${c.text}: ${c.hubUrl} did not answer as a Hugging Face Hub does (${e.message.split('\n')[0]}); check HF_ENDPOINT`);
  }
  if (!(e instanceof HubApiError)) return e;
  const page = `${c.hubUrl}/${c.repo}`;
  const tokenHint = c.hasToken
    ? 'the token in HF_TOKEN has no access to it'
    : 'set HF_TOKEN to an access token of an account that may read it (https://huggingface.co/settings/tokens)';
  if (c.errorCode === 'GatedRepo' || e.statusCode === 403) {
    return new Error(`${c.text}: the model is gated on ${c.hubUrl} (${e.statusCode}): accept its terms at ${page} while logged in, and ${c.hasToken ? 'make sure HF_TOKEN is a token of that account' : 'set HF_TOKEN to a token of that account (https://huggingface.co/settings/tokens)'}`);
  }
  if (c.errorCode === 'RevisionNotFound') return new Error(`${c.text}: the model has no revision "${c.revision}" on ${c.hubUrl} (a branch, tag or commit of ${page})`);
  if (e.statusCode === 401) {
    return new Error(`${c.text}: no such local folder, and ${c.hubUrl} refused access (401): no such model, or a private or gated one; ${tokenHint}`);
  }
  if (e.statusCode === 404) {
    return new Error(`${c.text}: no such local folder, and no model ${c.repo}${c.revision !== 'main' ? ` at revision "${c.revision}"` : ''} on ${c.hubUrl}${c.hasToken ? '' : ' (if it is private, set HF_TOKEN)'}`);
  }
  return new Error(`${c.text}: ${c.hubUrl} answered ${e.statusCode} (${e.message.split('. URL:')[0]})`);
}

/**
 * The only way the CUA engines reach a model: one JSON POST. The LLM layer supplies the real
 * implementation (base URL, API key header, retries, timeouts); engines pass only the path, the
 * body and the protocol headers (beta flags, API version), so no secret ever passes through here.
 */
export type PostJson = (
  path: string,
  body: unknown,
  headers: Record<string, string>,
  signal?: AbortSignal,
) => Promise<{ status: number; json: unknown }>;

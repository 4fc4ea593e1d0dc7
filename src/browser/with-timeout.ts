/**
 * A bound on a browser call that may never answer (a capture started while the tab swaps
 * renderers, a frame that hangs): its value, or an error once `ms` have passed. The call itself is
 * not stopped; its late answer is dropped. The timer does not hold the process open.
 */
export function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/** An error the HTTP layer turns into `{"detail": message}` with the given status. */
export class ServiceError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

export const notFound = (message: string) => new ServiceError(404, message);
export const badRequest = (message: string) => new ServiceError(400, message);

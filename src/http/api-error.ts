/**
 * A request the API answers with a 4xx status and ipgeolocation's `{"message": ...}` body.
 * Thrown by the handlers and rendered in one place, in the request's output format.
 */
export class ApiError extends Error {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  /** Answered before the request body was read to its end: the rest must be discarded. */
  readonly bodyUnread: boolean;

  constructor(status: number, message: string, options: { headers?: Record<string, string>; bodyUnread?: boolean } = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.headers = options.headers ?? {};
    this.bodyUnread = options.bodyUnread ?? false;
  }
}

/**
 * The one error the request handler throws to answer with a status other than 200. Its message becomes the
 * `{ "error": … }` body, the shape Upstash uses for every failure.
 */
export class HttpError extends Error {
  override readonly name = "HttpError";

  /**
   * @example
   * throw new HttpError(413, "ERR request body exceeds 10485760 bytes");
   */
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

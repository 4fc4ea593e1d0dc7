/**
 * Validates bodies against an OpenAPI 3.1 document (= JSON Schema 2020-12): the server's own
 * /openapi.json, or Skyvern's reference shapes (test/fixtures/skyvern/openapi-shapes.json).
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

export type OpenApiDoc = {
  openapi: string;
  paths: Record<string, Record<string, Record<string, unknown>>>;
  components: { schemas: Record<string, Record<string, unknown>> };
};

export interface OpenApiValidatorOptions {
  /**
   * Validate `date-time` as pydantic parses it (ISO 8601, offset optional) instead of RFC 3339:
   * Skyvern emits naive UTC timestamps and its SDK models accept them.
   */
  pydanticDateTime?: boolean;
}

/** What pydantic's datetime accepts from JSON strings (ISO 8601; offset optional). */
const PYDANTIC_DATE_TIME =
  /^\d{4}-\d\d-\d\d[T ]\d\d:\d\d(?::\d\d(?:\.\d{1,9})?)?(?:Z|[+-]\d\d(?::?\d\d)?)?$/i;

export class OpenApiValidator {
  private readonly ajv: Ajv2020;

  constructor(
    readonly doc: OpenApiDoc,
    options: OpenApiValidatorOptions = {},
  ) {
    this.ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats.default(this.ajv);
    if (options.pydanticDateTime) this.ajv.addFormat('date-time', PYDANTIC_DATE_TIME);
    this.ajv.addSchema(doc as object, 'openapi');
  }

  /** Every operation as `METHOD path`, e.g. `POST /v1/run/tasks`. */
  operations(): string[] {
    const methods = new Set(['get', 'post', 'put', 'patch', 'delete']);
    return Object.entries(this.doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops)
        .filter((m) => methods.has(m))
        .map((m) => `${m.toUpperCase()} ${path}`),
    );
  }

  /** The status codes the document lists for an operation. */
  statuses(path: string, method: string): string[] {
    const op = this.doc.paths[path]?.[method] as { responses?: object } | undefined;
    return Object.keys(op?.responses ?? {});
  }

  /** Whether the document gives a JSON schema for this response. */
  hasResponseSchema(path: string, method: string, status: number): boolean {
    const op = this.doc.paths[path]?.[method] as
      | { responses?: Record<string, { content?: Record<string, unknown> }> }
      | undefined;
    return !!op?.responses?.[String(status)]?.content?.['application/json'];
  }

  private pointer(path: string, method: string, ...rest: string[]): string {
    const escapePointer = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');
    return `openapi#/paths/${escapePointer(path)}/${method}/${rest.map(escapePointer).join('/')}`;
  }

  /** Throws with ajv's errors when `body` does not match the documented response. */
  assertResponse(path: string, method: string, status: number, body: unknown): void {
    const ref = this.pointer(
      path,
      method,
      'responses',
      String(status),
      'content',
      'application/json',
      'schema',
    );
    const validate = this.ajv.getSchema(ref);
    if (!validate)
      throw new Error(`no documented ${status} response for ${method.toUpperCase()} ${path}`);
    if (!validate(body)) {
      throw new Error(
        `${method.toUpperCase()} ${path} ${status} does not match /openapi.json: ${this.ajv.errorsText(validate.errors)}\n${JSON.stringify(body)}`,
      );
    }
  }

  assertRequest(path: string, method: string, body: unknown): void {
    const ref = this.pointer(path, method, 'requestBody', 'content', 'application/json', 'schema');
    const validate = this.ajv.getSchema(ref);
    if (!validate)
      throw new Error(`no documented request body for ${method.toUpperCase()} ${path}`);
    if (!validate(body))
      throw new Error(
        `request does not match /openapi.json: ${this.ajv.errorsText(validate.errors)}`,
      );
  }

  /** Resolves a schema, following one local $ref. */
  schema(ref: Record<string, unknown>): Record<string, unknown> {
    const target = ref['$ref'];
    if (typeof target !== 'string') return ref;
    const name = target.split('/').pop() ?? '';
    const found = this.doc.components.schemas[name];
    if (!found) throw new Error(`unresolved ${target}`);
    return found;
  }
}

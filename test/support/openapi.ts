/** Validates bodies against the server's own /openapi.json (OpenAPI 3.1 = JSON Schema 2020-12). */
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

export type OpenApiDoc = {
  openapi: string;
  paths: Record<string, Record<string, Record<string, unknown>>>;
  components: { schemas: Record<string, Record<string, unknown>> };
};

export class OpenApiValidator {
  private readonly ajv: Ajv2020;

  constructor(readonly doc: OpenApiDoc) {
    this.ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats.default(this.ajv);
    this.ajv.addSchema(doc as object, 'openapi');
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

/**
 * What the MCP tools need from Wren. The server implements it in-process over its own routes and
 * services (src/api/mcp-routes.ts), so a tool validates, authorizes and answers exactly like the
 * HTTP API; the tools hold no run or browser logic of their own.
 */
import type {
  BrowserSessionResponse,
  TaskRunListItem,
  TaskRunResponse,
} from '../contract/index.js';

/** A primitive on a session's page: one of run_action's types, or navigate / screenshot. */
export type McpPrimitive =
  | { type: 'goto'; url: string }
  | { type: 'screenshot' }
  | { type: 'ai_act'; intention: string; data?: unknown }
  | { type: 'extract'; prompt: string; extract_schema?: unknown }
  | { type: 'observe'; prompt: string }
  | { type: 'validate'; prompt: string };

export interface PrimitiveReply {
  /** The sdk_action run that recorded it. */
  runId: string;
  result: unknown;
  details: Record<string, unknown>;
  /** PNG, base64 (screenshot). */
  screenshot?: string;
}

export interface ListRunsArgs {
  page?: number;
  page_size?: number;
  status?: string[];
  search_key?: string;
}

export interface McpBackend {
  runTask(request: Record<string, unknown>): Promise<TaskRunResponse>;
  getRun(runId: string): Promise<TaskRunResponse>;
  listRuns(query: ListRunsArgs): Promise<TaskRunListItem[]>;
  cancelRun(runId: string): Promise<void>;
  createBrowserSession(request: Record<string, unknown>): Promise<BrowserSessionResponse>;
  closeBrowserSession(browserSessionId: string): Promise<void>;
  /** Runs a primitive on the session's page (first going to `url` when given and elsewhere). */
  primitive(
    browserSessionId: string,
    action: McpPrimitive,
    url?: string | null,
  ): Promise<PrimitiveReply>;
}

/** A failure the caller can act on; its message becomes the tool's error text. */
export class McpToolError extends Error {
  override readonly name = 'McpToolError';
}

/**
 * The MCP server over McpBackend, on the official SDK's low-level Server: tools/list publishes each
 * tool's input and output JSON Schema, tools/call answers with structuredContent (plus the same as
 * text, and the PNG for screenshots). A tool's failure is a tool result with isError and a message
 * that names the field, so the model calling it can correct itself.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import {
  CallToolRequestSchema,
  type CallToolResult,
  ListToolsRequestSchema,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import type { McpBackend } from './backend.js';
import { toolSchema } from './json-schema.js';
import { issues, TOOLS, type ToolDef } from './tools.js';

export interface McpServerOptions {
  /** Reported as serverInfo.version. */
  version: string;
  /** How often a waiting wren_run_task polls the run, ms (default 1000). */
  pollIntervalMs?: number;
}

let listed: Tool[] | null = null;

/** tools/list's answer (computed once: the schemas come from the contract). */
export function toolList(): Tool[] {
  listed ??= TOOLS.map((t) => ({
    name: t.name,
    title: t.title,
    description: t.description,
    inputSchema: toolSchema(t.input, 'input') as Tool['inputSchema'],
    outputSchema: toolSchema(t.output, 'output') as Tool['outputSchema'],
    annotations: { title: t.title, ...t.annotations },
  }));
  return listed;
}

function failure(message: string): CallToolResult {
  return { content: [{ type: 'text', text: message }], isError: true };
}

export function createMcpServer(backend: McpBackend, options: McpServerOptions): Server {
  const server = new Server(
    { name: 'wren', title: 'Wren', version: options.version },
    {
      capabilities: { tools: {} },
      instructions:
        'Wren runs browser tasks with an AI agent (wren_run_task) and drives a browser session ' +
        'step by step (wren_create_browser_session, then wren_navigate, wren_act, wren_extract, ' +
        'wren_observe, wren_validate, wren_screenshot; wren_close_browser_session at the end).',
    },
  );
  const byName = new Map<string, ToolDef>(TOOLS.map((t) => [t.name, t]));
  server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: toolList() }));
  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const tool = byName.get(request.params.name);
    if (!tool) {
      return failure(
        `name: no tool ${JSON.stringify(request.params.name)}; tools: ${[...byName.keys()].join(', ')}`,
      );
    }
    let args: Record<string, unknown> = request.params.arguments ?? {};
    if (tool.validate) {
      const parsed = tool.input.safeParse(args);
      if (!parsed.success) return failure(issues(parsed.error));
      args = parsed.data as Record<string, unknown>;
    }
    const token = request.params._meta?.progressToken;
    try {
      const outcome = await tool.run(args, backend, {
        signal: extra.signal,
        pollIntervalMs: options.pollIntervalMs ?? 1000,
        progress: async (progress, message) => {
          if (token === undefined) return;
          await extra.sendNotification({
            method: 'notifications/progress',
            params: { progressToken: token, progress, message },
          });
        },
      });
      const content: CallToolResult['content'] = [
        { type: 'text', text: JSON.stringify(outcome.structured) },
      ];
      if (outcome.image)
        content.push({ type: 'image', data: outcome.image, mimeType: 'image/png' });
      return { content, structuredContent: outcome.structured };
    } catch (e) {
      return failure(e instanceof Error ? e.message : String(e));
    }
  });
  return server;
}

/**
 * One streamable HTTP request (POST /mcp), stateless: a fresh server and transport per request,
 * so any API process can answer any request (several machines behind a balancer, docs/deploy.md).
 * Responses stream as SSE, which carries a waiting run's progress notifications.
 */
export async function handleMcpHttp(
  req: IncomingMessage,
  res: ServerResponse,
  body: unknown,
  backend: McpBackend,
  options: McpServerOptions,
): Promise<void> {
  const server = createMcpServer(backend, options);
  const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
  res.on('close', () => {
    void transport.close();
    void server.close();
  });
  await server.connect(transport);
  await transport.handleRequest(req, res, body);
}

/** Serves the tools on stdin/stdout until stdin closes (`wren mcp` embedded). */
export async function serveStdio(backend: McpBackend, options: McpServerOptions): Promise<void> {
  const server = createMcpServer(backend, options);
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => {
    server.onclose = () => resolve();
  });
  process.stdin.once('end', () => void server.close());
  await server.connect(transport);
  await closed;
}

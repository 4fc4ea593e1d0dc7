/**
 * `wren mcp` against a server: relays the MCP messages of a stdio client (Claude Desktop, Cursor,
 * VS Code) to the server's streamable HTTP endpoint (/mcp) and back, with the API key. The tools
 * run in the server; this process only moves JSON-RPC messages, so both transports answer alike.
 */
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

export interface RelayOptions {
  /** The server, e.g. http://localhost:8000 (its /mcp endpoint is used). */
  baseUrl: string;
  apiKey: string;
  /** Where relay problems are reported (stdout carries the protocol). */
  log?: (line: string) => void;
}

/** Relays until stdin closes. */
export async function relayStdioToHttp(options: RelayOptions): Promise<void> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const endpoint = new URL('mcp', `${options.baseUrl.replace(/\/+$/, '')}/`);
  const upstream = new StreamableHTTPClientTransport(endpoint, {
    requestInit: { headers: { 'x-api-key': options.apiKey } },
  });
  const local = new StdioServerTransport();
  const pending = new Map<string | number, string>();

  upstream.onmessage = (message: JSONRPCMessage) => {
    if ('id' in message && message.id !== undefined && pending.get(message.id) === 'initialize') {
      const version = (message as { result?: { protocolVersion?: unknown } }).result
        ?.protocolVersion;
      if (typeof version === 'string') upstream.setProtocolVersion(version);
    }
    if ('id' in message && message.id !== undefined && !('method' in message))
      pending.delete(message.id);
    void local.send(message);
  };
  upstream.onerror = (error) => log(`wren mcp: ${error.message}`);

  local.onmessage = (message: JSONRPCMessage) => {
    const isRequest = 'method' in message && 'id' in message && message.id !== undefined;
    if (isRequest) pending.set(message.id, message.method);
    upstream.send(message).catch((error: unknown) => {
      const text = error instanceof Error ? error.message : String(error);
      if (!isRequest) return; // already logged by onerror
      pending.delete(message.id);
      void local.send({
        jsonrpc: '2.0',
        id: message.id,
        error: { code: -32000, message: `${endpoint.href}: ${text}` },
      });
    });
  };

  const closed = new Promise<void>((resolve) => {
    local.onclose = () => resolve();
  });
  process.stdin.once('end', () => void local.close());
  await upstream.start();
  await local.start();
  await closed;
  await upstream.close();
}

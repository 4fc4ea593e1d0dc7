/**
 * The MCP server (docs/mcp.md): Wren's runs, browser sessions and AI primitives as MCP tools, on the
 * official @modelcontextprotocol/sdk. Streamable HTTP at /mcp (src/api/mcp-routes.ts) and stdio
 * (`wren mcp`: a relay to a server, or embedded). The tools work over McpBackend only.
 */
export {
  type ListRunsArgs,
  type McpBackend,
  type McpPrimitive,
  McpToolError,
  type PrimitiveReply,
} from './backend.js';
export { type RelayOptions, relayStdioToHttp } from './relay.js';
export {
  createMcpServer,
  handleMcpHttp,
  type McpServerOptions,
  serveStdio,
  toolList,
} from './server.js';
export { TOOLS } from './tools.js';

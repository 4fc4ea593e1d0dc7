/**
 * The tools' published schemas (docs/mcp.md "Tools"): every input and output schema is an object
 * schema at the root (MCP requires `"type": "object"`), self-contained (the contract's `$ref`s
 * inlined) and compiles as JSON Schema 2020-12; run_task publishes every run field.
 */
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { TaskRunRequestSchema } from '../../../src/contract/index.js';
import { toolList } from '../../../src/mcp/index.js';

describe('MCP tool schemas', () => {
  const tools = toolList();

  it('are self-contained object schemas that compile', () => {
    const ajv = new Ajv2020({ strict: false });
    for (const tool of tools) {
      for (const schema of [tool.inputSchema, tool.outputSchema]) {
        expect(schema?.type, tool.name).toBe('object');
        expect(JSON.stringify(schema), tool.name).not.toContain('$ref');
        expect(() => ajv.compile(schema as object), tool.name).not.toThrow();
      }
    }
  });

  it('run_task takes every run field, with its description, plus wait and timeout_seconds', () => {
    const runTask = tools.find((t) => t.name === 'wren_run_task');
    const properties = runTask?.inputSchema.properties as Record<string, { description?: string }>;
    expect(Object.keys(properties).sort()).toEqual(
      [...Object.keys(TaskRunRequestSchema.shape), 'wait', 'timeout_seconds'].sort(),
    );
    expect(properties['browser_profile_id']?.description).toMatch(/browser profile/);
    expect(runTask?.inputSchema.required).toEqual(['prompt']);
  });

  it('a wrong run_task output is caught by the published output schema', () => {
    const ajv = new Ajv2020({ strict: false });
    const output = tools.find((t) => t.name === 'wren_get_run')?.outputSchema as object;
    expect(ajv.validate(output, { run_id: 'tsk_1', status: 'nonsense' })).toBe(false);
  });
});

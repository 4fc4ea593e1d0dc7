/** Maps engine names to implementations. The worker looks engines up here at run time. */
import { AnthropicCuaEngine, OpenAiCuaEngine, UiTarsEngine } from './cua/engines.js';
import { SkyvernV1Engine, SkyvernV2Engine } from './dom-engines.js';
import type { EngineServices } from './services.js';
import { ENGINE_NAMES, type Engine, type EngineName } from './types.js';

export interface EngineRegistration {
  engine: Engine;
  /** When true (real engines) the worker refuses to start a run until WREN_MODEL is configured. */
  requiresModel: boolean;
}

/** Step budget when a request gives no `max_steps` (Skyvern: v1 10, v2 25). */
export const DEFAULT_MAX_STEPS: Readonly<Record<EngineName, number>> = {
  'skyvern-1.0': 10,
  'skyvern-2.0': 25,
  'openai-cua': 10,
  'anthropic-cua': 10,
  'ui-tars': 10,
};

export class EngineRegistry {
  private readonly engines = new Map<EngineName, EngineRegistration>();

  register(engine: Engine, options: { requiresModel?: boolean } = {}): this {
    if (!(ENGINE_NAMES as readonly string[]).includes(engine.name)) {
      throw new Error(`unknown engine name ${engine.name}`);
    }
    this.engines.set(engine.name, { engine, requiresModel: options.requiresModel ?? true });
    return this;
  }

  get(name: EngineName): EngineRegistration | undefined {
    return this.engines.get(name);
  }

  names(): EngineName[] {
    return [...this.engines.keys()];
  }
}

/** The engines this build ships, over the process's browser and model services. */
export function createDefaultRegistry(services?: EngineServices): EngineRegistry {
  const registry = new EngineRegistry();
  if (!services) return registry;
  return registry
    .register(new SkyvernV1Engine(services))
    .register(new SkyvernV2Engine(services))
    .register(new OpenAiCuaEngine(services))
    .register(new AnthropicCuaEngine(services))
    .register(new UiTarsEngine(services));
}

/**
 * The fake model's side of the AI primitives (src/primitives) on test/fixtures/sites/selectors.html:
 * answers locate/act/observe/validate/extract from the page it was shown, like a model would.
 */
import { idOf } from './agent-harness.js';
import type { FakeRequest, FakeResponse } from './fake-model-server.js';

/** Which primitive asked (from its system prompt). */
export function primitiveOf(
  req: FakeRequest,
): 'act' | 'locate' | 'observe' | 'validate' | 'extract' | 'other' {
  const t = req.text;
  if (t.includes('You perform ONE action')) return 'act';
  if (t.includes('You find one element')) return 'locate';
  if (t.includes('You list elements')) return 'observe';
  if (t.includes('You check a condition')) return 'validate';
  if (t.includes('You extract data')) return 'extract';
  return 'other';
}

function idOfAny(text: string, ...matches: string[]): number | null {
  for (const m of matches) {
    try {
      return Number(idOf(text, m));
    } catch {
      // try the next spelling
    }
  }
  return null;
}

export function primitivesModel(req: FakeRequest): FakeResponse {
  const text = req.lastUserText || req.text;
  const ask = /\n(?:Find|Do|Instruction): (.*)/.exec(text)?.[1] ?? '';
  switch (primitiveOf(req)) {
    case 'act': {
      if (/Grace/.test(ask)) {
        const id = idOfAny(text, 'textbox "Display name"');
        return { json: { action: 'input_text', element_id: id, value: 'Grace', reason: 'field' } };
      }
      if (/save/i.test(ask)) {
        // The fixture may rename the button ("Store") to break a cached selector.
        const id = idOfAny(text, 'button "Save"', 'button "Store"');
        return {
          json: { action: 'click', element_id: id, value: null, reason: 'the save button' },
        };
      }
      return { json: { action: 'none', element_id: null, value: null, reason: 'nothing like it' } };
    }
    case 'locate': {
      if (/Save/i.test(ask))
        return { json: { element_id: idOfAny(text, 'button "Save"'), reason: 'save' } };
      if (/Bob/i.test(ask)) {
        const lines = text.split('\n');
        const bob = lines.findIndex((l) => l.includes('Bob'));
        const del = lines.slice(bob).find((l) => l.includes('button "Delete"'));
        return {
          json: { element_id: Number(/\[(\d+)\]/.exec(del ?? '')?.[1]), reason: "Bob's row" },
        };
      }
      if (/language/i.test(ask))
        return { json: { element_id: idOfAny(text, 'combobox'), reason: 'select' } };
      if (/display name/i.test(ask))
        return { json: { element_id: idOfAny(text, 'textbox "Display name"'), reason: 'field' } };
      if (/document/i.test(ask)) {
        const line = text.split('\n').find((l) => /\[\d+\]/.test(l) && l.includes('Document'));
        return { json: { element_id: Number(/\[(\d+)\]/.exec(line ?? '')?.[1]), reason: 'file' } };
      }
      return { json: { element_id: null, reason: 'no such element' } };
    }
    case 'observe': {
      const ids = [...text.matchAll(/\[(\d+)\][^\n]*button "Delete"/g)].map((m) => Number(m[1]));
      return { json: { candidates: ids.map((id) => ({ element_id: id, action: 'click' })) } };
    }
    case 'validate': {
      const condition = text.split('\nCondition: ')[1] ?? '';
      const heading = text.includes('Account settings');
      return {
        json: {
          valid: heading && /Account settings/.test(condition),
          evidence: heading ? 'heading "Account settings"' : 'no heading',
        },
      };
    }
    case 'extract':
      return { json: { heading: 'Account settings', people: 2 } };
    default:
      return { text: 'pong' };
  }
}

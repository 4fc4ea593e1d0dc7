import { PNG } from 'pngjs';
import type { ComputerPrimitives, MouseButton, Point } from '../../../src/browser/computer.js';
import type { PostJson } from '../../../src/engines/cua/index.js';

export type ComputerCall =
  | { op: 'click'; at: Point; button: MouseButton; clickCount: number }
  | { op: 'mouseMove'; to: Point }
  | { op: 'mouseDown'; button: MouseButton }
  | { op: 'mouseUp'; button: MouseButton }
  | { op: 'drag'; path: Point[] }
  | { op: 'scroll'; at: Point; dx: number; dy: number }
  | { op: 'type'; text: string }
  | { op: 'keypress'; keys: string[] }
  | { op: 'keyDown'; key: string }
  | { op: 'keyUp'; key: string }
  | { op: 'wait'; ms: number }
  | { op: 'screenshot' };

/** A solid-colour PNG; the colour encodes a counter so tests can tell screenshots apart. */
export function solidPng(width: number, height: number, shade = 0): Buffer {
  const png = new PNG({ width, height });
  for (let i = 0; i < width * height; i++) {
    png.data[i * 4] = shade % 256;
    png.data[i * 4 + 1] = 100;
    png.data[i * 4 + 2] = 200;
    png.data[i * 4 + 3] = 255;
  }
  return PNG.sync.write(png);
}

/**
 * A recording double of our own ComputerPrimitives interface: logs every call, tracks the cursor
 * and returns viewport-sized PNGs. `failOn` makes one operation throw, as a browser error would.
 */
export class RecordingComputer implements ComputerPrimitives {
  calls: ComputerCall[] = [];
  cursor: Point = { x: 0, y: 0 };
  shots = 0;
  failOn: ComputerCall['op'] | null = null;
  url = 'https://example.test/';
  /** Called on every wait, e.g. to abort a run mid-step. */
  onWait: (() => void) | null = null;

  constructor(
    public width = 1024,
    public height = 768,
  ) {}

  private log(call: ComputerCall): void {
    this.calls.push(call);
    if (this.failOn === call.op) throw new Error(`${call.op} exploded`);
  }

  /** Calls other than screenshots, for assertions about what ran. */
  get actions(): ComputerCall[] {
    return this.calls.filter((c) => c.op !== 'screenshot');
  }

  viewport() {
    return { width: this.width, height: this.height };
  }
  async screenshot(): Promise<Buffer> {
    this.log({ op: 'screenshot' });
    this.shots++;
    return solidPng(this.width, this.height, this.shots);
  }
  async click(at: Point, options?: { button?: MouseButton; clickCount?: 1 | 2 | 3 }) {
    this.log({
      op: 'click',
      at,
      button: options?.button ?? 'left',
      clickCount: options?.clickCount ?? 1,
    });
    this.cursor = at;
  }
  async mouseMove(to: Point) {
    this.log({ op: 'mouseMove', to });
    this.cursor = to;
  }
  async mouseDown(button: MouseButton = 'left') {
    this.log({ op: 'mouseDown', button });
  }
  async mouseUp(button: MouseButton = 'left') {
    this.log({ op: 'mouseUp', button });
  }
  async drag(path: Point[]) {
    this.log({ op: 'drag', path });
    this.cursor = path[path.length - 1]!;
  }
  async scroll(at: Point, delta: { dx: number; dy: number }) {
    this.log({ op: 'scroll', at, dx: delta.dx, dy: delta.dy });
    this.cursor = at;
  }
  async type(text: string) {
    this.log({ op: 'type', text });
  }
  async keypress(keys: string[]) {
    this.log({ op: 'keypress', keys });
  }
  async keyDown(key: string) {
    this.log({ op: 'keyDown', key });
  }
  async keyUp(key: string) {
    this.log({ op: 'keyUp', key });
  }
  async wait(ms: number) {
    this.log({ op: 'wait', ms });
    this.onWait?.();
  }
  cursorPosition(): Point {
    return this.cursor;
  }
  currentUrl(): string {
    return this.url;
  }
}

export interface RecordedRequest {
  path: string;
  body: Record<string, unknown>;
  headers: Record<string, string>;
}

/**
 * A scripted PostJson: replies come from `script` in order (a function may inspect the request);
 * each request body is deep-copied at send time, as it would be serialized on the wire.
 */
export function scriptedTransport(
  script: Array<unknown | ((req: RecordedRequest) => { status: number; json: unknown })>,
): { postJson: PostJson; requests: RecordedRequest[] } {
  const requests: RecordedRequest[] = [];
  const postJson: PostJson = async (path, body, headers) => {
    const req: RecordedRequest = {
      path,
      body: JSON.parse(JSON.stringify(body)) as Record<string, unknown>,
      headers: { ...headers },
    };
    requests.push(req);
    const next = script[requests.length - 1];
    if (next === undefined) throw new Error(`no scripted reply for request ${requests.length}`);
    if (typeof next === 'function') {
      return (next as (r: RecordedRequest) => { status: number; json: unknown })(req);
    }
    return { status: 200, json: next };
  };
  return { postJson, requests };
}

/** Decodes a base64 PNG (or data URL) and returns its size. */
export function imageSize(b64OrDataUrl: string): { width: number; height: number } {
  const b64 = b64OrDataUrl.replace(/^data:image\/png;base64,/, '');
  const png = PNG.sync.read(Buffer.from(b64, 'base64'));
  return { width: png.width, height: png.height };
}

/**
 * Observation I/O: runs the capture script in every frame of a page (in parallel, out-of-process
 * frames included), then stitches the frame trees under their <iframe> elements, turning
 * frame-local ids into run-wide ids and frame-local boxes into main-viewport boxes.
 */
import type { ElementHandle, Frame, Page } from 'playwright-core';
import { withTimeout } from '../with-timeout.js';
import { captureExpression } from './capture-script.js';
import type { CaptureOptions, FrameCapture, RawElement, RawNode } from './types.js';

export interface ElementRef {
  frame: Frame;
  doc: string;
  localId: number;
}

/** Maps (frame, document, frame-local id) to a short run-wide id, stable across observations. */
export class ElementRegistry {
  private readonly frameKeys = new WeakMap<Frame, number>();
  private nextFrameKey = 1;
  private readonly byKey = new Map<string, number>();
  private readonly refs = new Map<number, ElementRef>();
  private next = 1;
  /** The document each frame showed at its latest capture. */
  private readonly currentDoc = new WeakMap<Frame, string>();

  globalId(frame: Frame, doc: string, localId: number): number {
    this.currentDoc.set(frame, doc);
    let fk = this.frameKeys.get(frame);
    if (fk === undefined) {
      fk = this.nextFrameKey++;
      this.frameKeys.set(frame, fk);
    }
    const key = `${fk}|${doc}|${localId}`;
    let id = this.byKey.get(key);
    if (id === undefined) {
      id = this.next++;
      this.byKey.set(key, id);
      this.refs.set(id, { frame, doc, localId });
    }
    return id;
  }

  ref(id: number): ElementRef | undefined {
    return this.refs.get(id);
  }

  get size(): number {
    return this.refs.size;
  }

  /**
   * Forgets elements of frames and documents that are gone, so long runs do not grow without
   * bound. Ids are never reused: a forgotten id reports `element_not_found`, never another element.
   */
  pruneDetached(): void {
    for (const [id, ref] of this.refs) {
      const current = this.currentDoc.get(ref.frame);
      if (!ref.frame.isDetached() && (current === undefined || current === ref.doc)) continue;
      this.refs.delete(id);
      const fk = this.frameKeys.get(ref.frame);
      this.byKey.delete(`${fk}|${ref.doc}|${ref.localId}`);
    }
  }
}

export interface PageCapture {
  root: RawElement;
  main: FrameCapture;
  /** Frames whose capture failed, with the reason (cross-origin hang, detached, crashed). */
  frameErrors: { url: string; error: string }[];
  /** Sum of DOM mutation counters over captured frames (effect checks). */
  mutations: number;
}

/** A child frame that does not answer is left out (reported); without the main frame there is no
 * observation at all, so it gets longer on a busy machine before the step fails. */
const FRAME_TIMEOUT_MS = 5_000;
const MAIN_FRAME_TIMEOUT_MS = 20_000;

export async function captureFrame(frame: Frame, opts: CaptureOptions): Promise<FrameCapture> {
  return JSON.parse((await frame.evaluate(captureExpression(opts))) as string) as FrameCapture;
}

const hostCache = new WeakMap<Frame, { doc: string; fid: number }>();

/** Frame-local id of the <iframe> element hosting `frame`, in its parent's document. */
async function hostId(frame: Frame): Promise<{ doc: string; fid: number } | null> {
  const cached = hostCache.get(frame);
  if (cached) return cached;
  const found = await lookupHostId(frame);
  if (found) hostCache.set(frame, found);
  return found;
}

async function lookupHostId(frame: Frame): Promise<{ doc: string; fid: number } | null> {
  let handle: ElementHandle<Element> | null = null;
  try {
    handle = (await frame.frameElement()) as ElementHandle<Element>;
    return await (handle as ElementHandle<Element>).evaluate((el) => {
      const s = (window as unknown as { __wrenObs?: { doc: string; idOf(e: Element): number } })
        .__wrenObs;
      return s ? { doc: s.doc, fid: s.idOf(el) } : null;
    });
  } catch {
    return null;
  } finally {
    await handle?.dispose().catch(() => {});
  }
}

export async function capturePage(
  page: Page,
  registry: ElementRegistry,
  opts: CaptureOptions,
): Promise<PageCapture> {
  const frames = page.frames();
  const main = page.mainFrame();
  const results = await Promise.all(
    frames.map(async (f) => {
      try {
        const cap = await withTimeout(
          captureFrame(f, opts),
          f === main ? MAIN_FRAME_TIMEOUT_MS : FRAME_TIMEOUT_MS,
          'frame capture',
        );
        const host = f === main ? null : await hostId(f);
        return { frame: f, cap, host, error: null as string | null };
      } catch (e) {
        return {
          frame: f,
          cap: null,
          host: null,
          error: e instanceof Error ? e.message : String(e),
        };
      }
    }),
  );
  const mainResult = results.find((r) => r.frame === main);
  if (!mainResult?.cap) {
    throw new Error(`could not capture the page: ${mainResult?.error ?? 'main frame missing'}`);
  }
  // Child captures indexed by their parent frame and host iframe id.
  const children = new Map<Frame, Map<number, { doc: string; r: (typeof results)[number] }>>();
  const frameErrors: { url: string; error: string }[] = [];
  let mutations = 0;
  for (const r of results) {
    if (r.cap) mutations += r.cap.mutations;
    if (r.frame === main) continue;
    const parent = r.frame.parentFrame();
    if (!parent || !r.host) {
      if (r.error) frameErrors.push({ url: r.frame.url(), error: r.error });
      continue;
    }
    let m = children.get(parent);
    if (!m) {
      m = new Map();
      children.set(parent, m);
    }
    const parentCap = results.find((x) => x.frame === parent)?.cap;
    if (parentCap && parentCap.doc !== r.host.doc) {
      // The parent document changed since the cached lookup; ask again.
      hostCache.delete(r.frame);
      const fresh = await hostId(r.frame);
      if (!fresh) continue;
      r.host = fresh;
    }
    m.set(r.host.fid, { doc: r.host.doc, r });
  }

  const stitch = (
    node: RawElement,
    frame: Frame,
    doc: string,
    dx: number,
    dy: number,
  ): RawElement => {
    if (node.id !== undefined) node.id = registry.globalId(frame, doc, node.id);
    if (node.box && (dx !== 0 || dy !== 0)) {
      node.box = [node.box[0] + dx, node.box[1] + dy, node.box[2], node.box[3]];
    }
    if (node.fid !== undefined) {
      const child = children.get(frame)?.get(node.fid);
      const box = node.box;
      node.fid = undefined;
      if (child && child.doc === doc) {
        if (child.r.cap) {
          const cap = child.r.cap;
          node.frameUrl = cap.url;
          if (!node.name && cap.title) node.name = cap.title;
          node.children = [
            stitch(cap.root, child.r.frame, cap.doc, box ? box[0] : dx, box ? box[1] : dy),
          ];
        } else {
          node.frameError = child.r.error ?? 'not captured';
          frameErrors.push({ url: child.r.frame.url(), error: node.frameError });
        }
      }
      return node;
    }
    for (const c of node.children as RawNode[]) {
      if (typeof c !== 'string') stitch(c, frame, doc, dx, dy);
    }
    return node;
  };

  const root = stitch(mainResult.cap.root, main, mainResult.cap.doc, 0, 0);
  return { root, main: mainResult.cap, frameErrors, mutations };
}

/** Sum of the mutation counters of all frames that have the capture script installed. */
export async function mutationCount(page: Page): Promise<number> {
  const counts = await Promise.all(
    page
      .frames()
      .map((f) =>
        f
          .evaluate(
            () =>
              (window as unknown as { __wrenObs?: { mutations: number } }).__wrenObs?.mutations ??
              0,
          )
          .catch(() => 0),
      ),
  );
  return counts.reduce((a, b) => a + b, 0);
}

/** The live element behind a frame-local id, or null when it is gone. */
export async function resolveElement(ref: ElementRef): Promise<ElementHandle<Element> | null> {
  if (ref.frame.isDetached()) return null;
  const h = await ref.frame.evaluateHandle(
    ([doc, id]) => {
      const s = (
        window as unknown as { __wrenObs?: { doc: string; get(id: number): Element | null } }
      ).__wrenObs;
      return s && s.doc === doc ? s.get(id) : null;
    },
    [ref.doc, ref.localId] as const,
  );
  const el = h.asElement();
  if (!el) {
    await h.dispose();
    return null;
  }
  return el as ElementHandle<Element>;
}

/**
 * Runs `fn(element, arg)` in the element's frame, finding the element by its frame-local id in
 * the page (no element handle). Null when the element or its document is gone. `fn` travels as
 * source text, so it must be self-contained; `arg` travels as JSON.
 */
export async function evaluateOnElement<R, A>(
  ref: ElementRef,
  fn: (e: Element, arg: A) => R | Promise<R>,
  arg: A,
): Promise<{ value: R } | null> {
  if (ref.frame.isDetached()) return null;
  // Bundlers may wrap named functions in a `__name` helper; give the page a no-op one.
  const expression = `(() => { var __name = (f) => f;
    const s = window.__wrenObs;
    const e = s && s.doc === ${JSON.stringify(ref.doc)} ? s.get(${ref.localId}) : null;
    if (!e) return null;
    return Promise.resolve((${fn.toString()})(e, ${JSON.stringify(arg) ?? 'undefined'})).then((value) => ({ value }));
  })()`;
  return (await ref.frame.evaluate(expression)) as { value: R } | null;
}

/**
 * The parts of browser/run/ that need no browser: download names, the wait for the next download
 * and the event log.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BrowserError } from '../../../src/browser/errors.js';
import {
  DownloadNames,
  nextDownload,
  safeFilename,
  suggestedName,
} from '../../../src/browser/run/downloads.js';
import { type RunBrowserEvent, RunEvents } from '../../../src/browser/run/events.js';

describe('download names', () => {
  it('keeps a plain name and strips folders and odd characters', () => {
    expect(safeFilename('report.csv')).toBe('report.csv');
    expect(safeFilename('../../etc/passwd')).toBe('passwd');
    expect(safeFilename('a:b*c?.txt')).toBe('a_b_c_.txt');
    expect(safeFilename('résumé (final).pdf')).toBe('r_sum_ (final).pdf');
    expect(safeFilename('..')).toBe('download');
    expect(safeFilename('')).toBe('download');
    expect(safeFilename(`${'x'.repeat(300)}.txt`)).toHaveLength(150);
  });

  it('reads the server-suggested name, else the last part of the path', () => {
    expect(suggestedName('http://a.test/x/y.pdf', 'attachment; filename="r.csv"')).toBe('r.csv');
    expect(suggestedName('http://a.test/x', "attachment; filename*=UTF-8''na%C3%AFve.txt")).toBe(
      'naïve.txt',
    );
    expect(suggestedName('http://a.test/files/y.pdf?v=2', '')).toBe('y.pdf');
    expect(suggestedName('http://a.test/', '')).toBe('download');
  });

  it('numbers a name already handed out in the folder, keeping its extension', () => {
    const names = new DownloadNames('/runs/r1/downloads');
    expect(names.take('report.csv')).toEqual({
      name: 'report.csv',
      target: path.join('/runs/r1/downloads', 'report.csv'),
    });
    expect(names.take('report.csv').name).toBe('report (2).csv');
    expect(names.take('sub/report.csv').name).toBe('report (3).csv');
    expect(names.take('README').name).toBe('README');
    expect(names.take('README').name).toBe('README (2)');
    // Another run's folder starts over.
    expect(new DownloadNames('/runs/r2/downloads').take('report.csv').name).toBe('report.csv');
  });
});

describe('the next download', () => {
  const file = {
    filename: 'report.csv',
    path: '/runs/r1/downloads/report.csv',
    size: 3,
    sha256: 'ab',
    url: 'http://a.test/report.csv',
  };

  /** A run's event log that also counts its listeners. */
  function log() {
    const events = new RunEvents();
    let listeners = 0;
    return {
      events,
      listeners: () => listeners,
      on(listener: (e: RunBrowserEvent) => void) {
        listeners++;
        const off = events.on(listener);
        return () => {
          listeners--;
          off();
        };
      },
    };
  }

  it('is the first file saved after the call, and lets go of the log', async () => {
    const run = log();
    run.events.emit({ type: 'download', download: { ...file, filename: 'earlier.csv' } });
    const saved = nextDownload(run, 1_000);
    run.events.emit({
      type: 'dialog',
      dialog: { type: 'alert', message: 'hi', defaultValue: '', handled: 'accepted' },
    });
    run.events.emit({ type: 'download', download: file });
    await expect(saved).resolves.toEqual(file);
    expect(run.listeners()).toBe(0);
  });

  it('fails as download_failed when the download fails', async () => {
    const run = log();
    const saved = nextDownload(run, 1_000);
    run.events.emit({ type: 'download_failed', url: file.url, error: 'HTTP 404' });
    const err = await saved.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BrowserError);
    expect(err).toMatchObject({
      kind: 'download_failed',
      message: 'HTTP 404',
    });
    expect(run.listeners()).toBe(0);
  });

  it('fails as download_failed when nothing is saved in time', async () => {
    const run = log();
    await expect(nextDownload(run, 20)).rejects.toMatchObject({
      kind: 'download_failed',
      message: 'no download was saved within 0.02 s',
    });
    expect(run.listeners()).toBe(0);
  });

  it('fails with the reason of a signal that aborts, at once when it already has', async () => {
    const run = log();
    const stop = new AbortController();
    const saved = nextDownload(run, 10_000, stop.signal);
    stop.abort(new Error('cancelled'));
    await expect(saved).rejects.toThrow('cancelled');
    expect(run.listeners()).toBe(0);
    await expect(nextDownload(run, 10_000, stop.signal)).rejects.toThrow('cancelled');
    expect(run.listeners()).toBe(0);
  });
});

describe('run events', () => {
  it('keeps every event in order and stops telling a listener that unsubscribed', () => {
    const events = new RunEvents();
    const heard: string[] = [];
    const off = events.on((e) => heard.push(e.type));
    const crash: RunBrowserEvent = { type: 'crash', url: 'http://a.test/' };
    events.emit(crash);
    off();
    events.emit({ type: 'browser_disconnected' });
    expect(heard).toEqual(['crash']);
    expect(events.list.map((e) => e.type)).toEqual(['crash', 'browser_disconnected']);
  });
});

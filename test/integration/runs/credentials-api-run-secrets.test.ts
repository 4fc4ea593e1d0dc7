import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { verifySync } from 'otplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  acceptTotpPush,
  parseCredentialInput,
  SecretBox,
  sealCredential,
  secretKeyFromBytes,
  verifyBodySignature,
} from '../../../src/credentials/index.js';
import { createLogger, SecretRedactor } from '../../../src/log.js';
import { NetworkPolicyError } from '../../../src/net/index.js';
import {
  guardedHttpPost,
  prepareRunSecrets,
  type RunSecretsDeps,
  RunSecretsError,
  type RunSecretsInput,
  runSecretsInput,
  signingKeyContext,
} from '../../../src/runs/index.js';
import { openStore, type Store } from '../../../src/store/index.js';

/**
 * Run-side plumbing on a real SQLite store: the vault and login a run gets from a stored
 * credential, codes resolved from the stored secret, from pushed codes in the store and from a
 * real totp_url endpoint on loopback, the network policy on that endpoint, and log masking.
 */

const dataDir = mkdtempSync(join(tmpdir(), 'wren-run-secrets-'));
const ORG = 'o_secrets';
const OTHER = 'o_other';
const PASSWORD = 'p4ss-w0rd-that-must-never-leak';
const SECRET = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
const API_KEY = 'wren_signing_key_for_tests_0123456789';
let store: Store;
const box = new SecretBox(secretKeyFromBytes(randomBytes(32)));
let credentialId = '';

/** A totp_url endpoint: answers from a script and records what it received. */
let endpoint: Server;
let endpointUrl = '';
const received: Array<{ body: string; signature: string; timestamp: string }> = [];
let answers: Array<string | null> = [];

beforeAll(async () => {
  store = await openStore({ dataDir });
  for (const id of [ORG, OTHER]) {
    await store.apiKeys.createOrganization({ id, name: id, createdAt: new Date().toISOString() });
  }
  const row = sealCredential(
    parseCredentialInput({ name: 'bank', username: 'jane', password: PASSWORD, totp: SECRET }),
    { box, organizationId: ORG },
  );
  await store.credentials.insert(row);
  credentialId = row.id;

  endpoint = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c;
    });
    req.on('end', () => {
      received.push({
        body,
        signature: String(req.headers['x-skyvern-signature'] ?? ''),
        timestamp: String(req.headers['x-skyvern-timestamp'] ?? ''),
      });
      const code = answers.length > 1 ? answers.shift()! : (answers[0] ?? '');
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ verification_code: code }));
    });
  });
  await new Promise<void>((resolve) => endpoint.listen(0, '127.0.0.1', resolve));
  endpointUrl = `http://127.0.0.1:${(endpoint.address() as AddressInfo).port}/totp`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => endpoint.close(() => resolve()));
  await store.close();
  rmSync(dataDir, { recursive: true, force: true });
});

function deps(extra: Partial<RunSecretsDeps> = {}): RunSecretsDeps {
  return {
    store,
    box,
    redactor: new SecretRedactor(),
    allowPrivateNetworks: true,
    totpPollIntervalMs: 20,
    totpTimeoutMs: 5_000,
    totpUrlRetry: { attempts: 1, delayMs: 0 },
    ...extra,
  };
}

function input(extra: Partial<RunSecretsInput> = {}): RunSecretsInput {
  return {
    organizationId: ORG,
    runId: `tsk_${Math.floor(Math.random() * 1e12)}`,
    startedAt: new Date(),
    credentialId: null,
    totpUrl: null,
    totpIdentifier: null,
    ...extra,
  };
}

describe('a stored credential', () => {
  it('gives the model the username and placeholders, and generates a valid code', async () => {
    const secrets = await prepareRunSecrets(deps(), input({ credentialId }));
    expect(secrets.login).toEqual({
      username: 'jane',
      password: '{{secret:password}}',
      totp: '{{totp}}',
    });
    expect(secrets.totpSources).toEqual(['secret']);
    const resolution = await secrets.resolveTotp();
    expect(resolution).toMatchObject({ ok: true, source: 'secret', otpType: 'totp' });
    const code = resolution.ok ? resolution.value : '';
    expect(verifySync({ secret: SECRET, token: code, epochTolerance: 0 }).valid).toBe(true);
    // The code and the password are masked everywhere, and substituted only on demand.
    expect(secrets.vault.mask(`typed ${PASSWORD} then ${code} (${SECRET})`)).toBe(
      'typed {{secret:password}} then {{totp}} ({{secret:totp_secret}})',
    );
    expect(secrets.vault.substitute('{{secret:password}}/{{totp}}')).toBe(`${PASSWORD}/${code}`);
    secrets.release();
  });

  it('masks the run secrets in every log line while the run is attached', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    });
    const logger = createLogger('info', sink);
    // The default redactor is the one every createLogger logger uses.
    const secrets = await prepareRunSecrets(
      { ...deps(), redactor: undefined },
      input({ credentialId }),
    );
    const resolution = await secrets.resolveTotp();
    const code = resolution.ok ? resolution.value : 'none';
    logger.info({ typed: PASSWORD, nested: { url: `?p=${encodeURIComponent(PASSWORD)}` } }, code);
    secrets.release();
    logger.info({ typed: PASSWORD }, 'after release');
    expect(lines).toHaveLength(2);
    expect(lines[0]).not.toContain(PASSWORD);
    expect(lines[0]).not.toContain(code);
    expect(lines[0]).toContain('{{secret:password}}');
    expect(JSON.parse(lines[0]!).msg).toBe('{{totp}}');
    // Detached: the vault no longer masks (it is gone with the run).
    expect(lines[1]).toContain(PASSWORD);
  });

  it('fails the run with a reason when the credential is gone or cannot be decrypted', async () => {
    await expect(prepareRunSecrets(deps(), input({ credentialId: 'cred_404' }))).rejects.toThrow(
      new RunSecretsError('credential_id cred_404 no longer exists in this organization'),
    );
    await expect(
      prepareRunSecrets(deps(), input({ organizationId: OTHER, credentialId })),
    ).rejects.toBeInstanceOf(RunSecretsError);
    const wrongKey = new SecretBox(secretKeyFromBytes(randomBytes(32)));
    const error = await prepareRunSecrets(deps({ box: wrongKey }), input({ credentialId })).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(RunSecretsError);
    expect((error as Error).message).toMatch(
      new RegExp(`^credential ${credentialId} cannot be decrypted: sealed with key [0-9a-f]{12}`),
    );
    expect((error as Error).message).not.toContain(PASSWORD);
  });

  it("polls pushed codes for the credential's totp_identifier when the run names none", async () => {
    const row = sealCredential(
      parseCredentialInput({
        name: 'mail login',
        credential_type: 'password',
        credential: {
          username: 'jane',
          password: PASSWORD,
          totp_type: 'email',
          totp_identifier: 'codes@example.com',
        },
      }),
      { box, organizationId: ORG },
    );
    await store.credentials.insert(row);
    const run = input({ credentialId: row.id });
    const secrets = await prepareRunSecrets(deps(), run);
    expect(secrets.totpSources).toEqual(['pushed']);
    await acceptTotpPush(
      { totp_identifier: 'codes@example.com', content: 'Your code is 271828' },
      { organizationId: ORG, store: store.totpCodes },
    );
    expect(await secrets.resolveTotp()).toMatchObject({ ok: true, value: '271828' });
    secrets.release();
  });

  it('without any source answers MISSING_TOTP_SOURCE', async () => {
    const secrets = await prepareRunSecrets(deps(), input());
    expect(secrets.login).toBeNull();
    expect(secrets.totpSources).toEqual([]);
    expect(await secrets.resolveTotp()).toMatchObject({
      ok: false,
      errorCode: 'MISSING_TOTP_SOURCE',
    });
  });
});

describe('pushed codes from the store', () => {
  it('waits for a code pushed after the run started, and uses it once', async () => {
    const identifier = 'Jane@Example.com';
    // Received before the run started: someone else's login.
    await acceptTotpPush(
      { totp_identifier: identifier, content: 'Your code is 111111' },
      { organizationId: ORG, store: store.totpCodes, now: () => Date.now() - 2_000 },
    );
    const run = input({ totpIdentifier: identifier });
    let roundDone: () => void = () => {};
    const firstRound = new Promise<void>((resolve) => {
      roundDone = resolve;
    });
    let rounds = 0;
    const secrets = await prepareRunSecrets(
      deps({
        onRound: () => {
          rounds++;
          roundDone();
        },
      }),
      run,
    );
    expect(secrets.totpSources).toEqual(['pushed']);
    const pending = secrets.resolveTotp();
    // The first round saw only the old code and kept waiting.
    await firstRound;
    // Scoped to another run, and pushed to another organization: never used.
    await acceptTotpPush(
      { totp_identifier: identifier, content: '222222', task_id: 'tsk_other' },
      { organizationId: ORG, store: store.totpCodes },
    );
    await acceptTotpPush(
      { totp_identifier: identifier, content: '333333' },
      { organizationId: OTHER, store: store.totpCodes },
    );
    await acceptTotpPush(
      { totp_identifier: 'jane@example.com', content: 'Fixture Bank: 314159 is your code' },
      { organizationId: ORG, store: store.totpCodes },
    );
    const resolution = await pending;
    expect(resolution).toEqual({ ok: true, value: '314159', otpType: 'totp', source: 'pushed' });
    expect(rounds).toBeGreaterThanOrEqual(1);
    expect(secrets.vault.mask('entered 314159')).toBe('entered {{totp}}');

    // A used code is deleted (docs/security.md, pushed codes): not even a retry of this run
    // gets it again, so the next wait times out.
    const left = await store.totpCodes.list({ organizationId: ORG, limit: 200 });
    expect(left.map((c) => c.code)).not.toContain('314159');
    const short = await prepareRunSecrets(deps({ totpTimeoutMs: 60 }), run);
    expect(await short.resolveTotp()).toMatchObject({
      ok: false,
      errorCode: 'OTP_TIMEOUT',
      reason: expect.stringContaining('no verification code received within 60 ms'),
    });
  });
});

describe('totp_url', () => {
  async function withSigningKey(run: RunSecretsInput): Promise<RunSecretsInput> {
    await store.runSigningKeys.put({
      runId: run.runId,
      organizationId: run.organizationId,
      keySealed: box.seal(API_KEY, signingKeyContext(run.runId)),
      createdAt: new Date(),
    });
    return run;
  }

  it('polls the endpoint with signed requests until it returns a code', async () => {
    received.length = 0;
    answers = ['', null, '942017'];
    const run = await withSigningKey(input({ totpUrl: endpointUrl }));
    const secrets = await prepareRunSecrets(deps(), run);
    expect(secrets.totpSources).toEqual(['totp_url']);
    const resolution = await secrets.resolveTotp();
    expect(resolution).toEqual({ ok: true, value: '942017', otpType: 'totp', source: 'totp_url' });
    expect(received).toHaveLength(3);
    for (const r of received) {
      expect(JSON.parse(r.body)).toEqual({ task_id: run.runId });
      expect(verifyBodySignature(r.body, API_KEY, r.signature)).toBe(true);
      expect(Math.abs(Number(r.timestamp) - Date.now() / 1000)).toBeLessThan(60);
    }
  });

  it('asks the stored secret first, then totp_url, then pushed codes', async () => {
    const run = await withSigningKey(
      input({ credentialId, totpUrl: endpointUrl, totpIdentifier: 'x@example.com' }),
    );
    const secrets = await prepareRunSecrets(deps(), run);
    expect(secrets.totpSources).toEqual(['secret', 'totp_url', 'pushed']);
  });

  it('reports a run without a stored signing key as an OTP_ERROR, not a crash', async () => {
    const secrets = await prepareRunSecrets(
      deps({ totpTimeoutMs: 40 }),
      input({ totpUrl: endpointUrl }),
    );
    expect(await secrets.resolveTotp()).toMatchObject({
      ok: false,
      errorCode: 'OTP_ERROR',
      reason: expect.stringContaining('no API key is stored for this run'),
    });
  });

  describe('network policy', () => {
    const body = { body: '{}', headers: { 'content-type': 'application/json' }, timeoutMs: 2000 };

    it('refuses a loopback endpoint when private networks are not allowed', async () => {
      received.length = 0;
      const post = guardedHttpPost({ allowPrivateNetworks: false });
      await expect(post(endpointUrl, body)).rejects.toBeInstanceOf(NetworkPolicyError);
      await expect(post('http://169.254.169.254/latest', body)).rejects.toThrow(/metadata/);

      const run = await withSigningKey(input({ totpUrl: endpointUrl }));
      const secrets = await prepareRunSecrets(
        deps({ allowPrivateNetworks: false, totpTimeoutMs: 40 }),
        run,
      );
      const resolution = await secrets.resolveTotp();
      expect(resolution).toMatchObject({ ok: false, errorCode: 'OTP_ERROR' });
      expect(resolution.ok ? '' : resolution.reason).toMatch(
        /totp_url: request failed: .*private, loopback or link-local address \(127\.0\.0\.1\)/,
      );
      expect(received).toHaveLength(0);
    });

    it('checks the address again when connecting (a DNS answer that changes is refused)', async () => {
      received.length = 0;
      const port = (endpoint.address() as AddressInfo).port;
      let calls = 0;
      // The first answer passes the check; the one used for the connection is loopback.
      const rebinding = async () => (calls++ === 0 ? ['93.184.216.34'] : ['127.0.0.1']);
      const post = guardedHttpPost({ allowPrivateNetworks: false, resolve: rebinding });
      await expect(post(`http://totp.test:${port}/totp`, body)).rejects.toThrow(
        /private, loopback or link-local address \(127\.0\.0\.1\)/,
      );
      expect(calls).toBe(2);
      expect(received).toHaveLength(0);

      // Allowed private networks: the same host name reaches the endpoint.
      answers = ['505050'];
      const allowed = guardedHttpPost({
        allowPrivateNetworks: true,
        resolve: async () => ['127.0.0.1'],
      });
      const res = await allowed(`http://totp.test:${port}/totp`, body);
      expect(res).toMatchObject({ status: 200, contentType: 'application/json' });
      expect(JSON.parse(res.text)).toEqual({ verification_code: '505050' });
      expect(received).toHaveLength(1);
    });
  });
});

describe('runSecretsInput', () => {
  it('reads the fields from a stored run', () => {
    expect(
      runSecretsInput({
        id: 'tsk_1',
        organizationId: ORG,
        request: {
          prompt: 'x',
          credential_id: 'cred_1',
          totp_url: 'https://codes.example/totp',
          totp_identifier: '',
        },
        startedAt: '2026-11-28T10:00:00.000Z',
        createdAt: '2026-11-28T09:59:00.000Z',
      } as unknown as Parameters<typeof runSecretsInput>[0]),
    ).toEqual({
      organizationId: ORG,
      runId: 'tsk_1',
      startedAt: new Date('2026-11-28T10:00:00.000Z'),
      credentialId: 'cred_1',
      totpUrl: 'https://codes.example/totp',
      totpIdentifier: null,
    });
  });
});

describe('SQL stores', () => {
  it('find recent codes by organization, identifier and time, newest first', async () => {
    const at = (s: number) => () => Date.parse('2026-01-01T00:00:00.000Z') + s * 1000;
    const push = (org: string, id: string, content: string, s: number) =>
      acceptTotpPush(
        { totp_identifier: id, content },
        { organizationId: org, store: store.totpCodes, now: at(s) },
      );
    const a = await push(ORG, 'sql@example.com', '100001', 1);
    const b = await push(ORG, 'sql@example.com', '100002', 2);
    await push(ORG, 'other@example.com', '100003', 3);
    await push(OTHER, 'sql@example.com', '100004', 4);
    const recent = await store.totpCodes.findRecent({
      organizationId: ORG,
      totpIdentifier: 'sql@example.com',
      createdAfter: new Date(at(2)()),
    });
    expect(recent.map((r) => r.id)).toEqual([b.id]);
    expect(recent[0]).toEqual(b);
    const listed = await store.totpCodes.list({
      organizationId: ORG,
      totpIdentifier: 'SQL@example.com',
    });
    expect(listed.map((r) => r.code)).toEqual(['100002', '100001']);
    expect(listed[1]).toEqual(a);
    expect(
      await store.totpCodes.list({
        organizationId: ORG,
        totpIdentifier: 'sql@example.com',
        limit: 0,
      }),
    ).toHaveLength(1);
  });

  it('scope credentials to their organization', async () => {
    expect(await store.credentials.get(OTHER, credentialId)).toBeNull();
    expect(await store.credentials.delete(OTHER, credentialId)).toBe(false);
    expect((await store.credentials.list(ORG)).map((c) => c.id)).toContain(credentialId);
    expect(await store.credentials.list(OTHER)).toEqual([]);
  });
});

/**
 * The stores behind credentials of every kind and browser profiles, on SQLite and PostgreSQL:
 * migrations 0008/0009 apply, rows round-trip, queries stay in their organization, a deleted
 * profile loses its sealed state.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import {
  parseCredentialInput,
  SecretBox,
  sealCredential,
  secretKeyFromBytes,
} from '../../../src/credentials/index.js';
import { throwawayStores } from '../../support/stores.js';

const box = new SecretBox(secretKeyFromBytes(randomBytes(32)));
const stores = throwawayStores('wren-store-profiles-');
afterAll(() => stores.close());

describe.each(stores.kinds)('%s', (_name, open) => {
  it('stores credentials of every kind and browser profiles, per organization', async () => {
    const store = await open();
    const at = new Date().toISOString();
    for (const id of ['o_a', 'o_b'])
      await store.apiKeys.createOrganization({ id, name: id, createdAt: at });

    const card = sealCredential(
      parseCredentialInput({
        name: 'card',
        credential_type: 'credit_card',
        credential: {
          card_number: '4111111111111111',
          card_cvv: '123',
          card_exp_month: '01',
          card_exp_year: '2030',
          card_brand: 'Visa',
          card_holder_name: 'A',
        },
      }),
      { box, organizationId: 'o_a' },
    );
    await store.credentials.insert(card);
    const back = await store.credentials.get('o_a', card.id);
    expect(back).toMatchObject({
      type: 'credit_card',
      username: '',
      passwordSealed: null,
      details: { last_four: '1111', brand: 'Visa' },
    });
    expect(back?.dataSealed).toBe(card.dataSealed);
    expect(await store.credentials.get('o_b', card.id)).toBeNull();
    const secret = sealCredential(
      parseCredentialInput({
        name: 's',
        credential_type: 'secret',
        credential: { secret_value: 'v' },
      }),
      { box, organizationId: 'o_a', id: card.id, createdAt: card.createdAt },
    );
    expect(await store.credentials.replace(secret)).toBe(true);
    expect((await store.credentials.get('o_a', card.id))?.type).toBe('secret');
    expect(await store.credentials.replace({ ...secret, organizationId: 'o_b' })).toBe(false);

    const profiles = store.browserProfiles;
    await profiles.insert({
      id: 'bp_1',
      organizationId: 'o_a',
      name: 'Acme',
      stateSealed: box.seal('{"cookies":[],"origins":[]}', 'browser_profile:bp_1:state'),
      sourceBrowserType: 'chromium',
      proxyLocation: { country: 'US' },
      proxySessionId: null,
      createdAt: at,
      modifiedAt: at,
      deletedAt: null,
    });
    expect(await profiles.byName('o_a', 'Acme')).toMatchObject({ id: 'bp_1' });
    expect(await profiles.get('o_b', 'bp_1')).toBeNull();
    expect(
      (await profiles.list('o_a', { includeDeleted: false, search: 'acm', limit: 10, offset: 0 }))
        .length,
    ).toBe(1);
    expect(await profiles.update('o_b', 'bp_1', { name: 'x', modifiedAt: at })).toBe(false);
    expect(await profiles.softDelete('o_a', 'bp_1', at)).toBe(true);
    expect(await profiles.get('o_a', 'bp_1')).toBeNull();
    expect(await profiles.get('o_a', 'bp_1', true)).toMatchObject({
      deletedAt: at,
      stateSealed: null,
    });
    expect(await profiles.softDelete('o_a', 'bp_1', at)).toBe(false);

    await profiles.linkSession({
      sessionId: 'pbs_1',
      organizationId: 'o_a',
      browserProfileId: null,
      generateBrowserProfile: true,
      stateSealed: null,
      savedAt: null,
    });
    await profiles.updateSessionLink('o_a', 'pbs_1', { stateSealed: 'x', savedAt: at });
    expect(await profiles.sessionLink('o_a', 'pbs_1')).toMatchObject({
      generateBrowserProfile: true,
      stateSealed: 'x',
    });
    expect(await profiles.sessionLink('o_b', 'pbs_1')).toBeNull();
  });
});

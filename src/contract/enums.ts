/**
 * The contract's plain value lists, with no dependencies: the server's schemas, the SDK and the
 * web UI all import them from here.
 */
export const RUN_STATUSES = [
  'created',
  'queued',
  'running',
  'paused',
  'timed_out',
  'failed',
  'terminated',
  'completed',
  'canceled',
] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** Statuses a run never leaves. */
export const TERMINAL_RUN_STATUSES: readonly RunStatus[] = [
  'completed',
  'failed',
  'terminated',
  'timed_out',
  'canceled',
];

export const PROXY_LOCATIONS = [
  'RESIDENTIAL',
  'US-CA',
  'US-NY',
  'US-TX',
  'US-FL',
  'US-WA',
  'RESIDENTIAL_ES',
  'RESIDENTIAL_IE',
  'RESIDENTIAL_GB',
  'RESIDENTIAL_IN',
  'RESIDENTIAL_JP',
  'RESIDENTIAL_FR',
  'RESIDENTIAL_DE',
  'RESIDENTIAL_NZ',
  'RESIDENTIAL_ZA',
  'RESIDENTIAL_AR',
  'RESIDENTIAL_AU',
  'RESIDENTIAL_BR',
  'RESIDENTIAL_TR',
  'RESIDENTIAL_CA',
  'RESIDENTIAL_MX',
  'RESIDENTIAL_IT',
  'RESIDENTIAL_NL',
  'RESIDENTIAL_PH',
  'RESIDENTIAL_KR',
  'RESIDENTIAL_SA',
  'RESIDENTIAL_ISP',
  'NONE',
] as const;

export const GEO_COUNTRIES = [
  'US',
  'AR',
  'AU',
  'BR',
  'CA',
  'DE',
  'ES',
  'FR',
  'GB',
  'IE',
  'IN',
  'IT',
  'JP',
  'MX',
  'NL',
  'NZ',
  'PH',
  'KR',
  'SA',
  'TR',
  'ZA',
] as const;

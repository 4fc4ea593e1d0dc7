/**
 * What a browser "in" a location looks like: timezone, locale (also the Accept-Language) and a
 * geolocation at the country's (or US state's) main city. Cities of a GeoTarget are not looked
 * up; the country/subdivision decides.
 */

export interface GeoProfile {
  country: string;
  timezoneId: string;
  locale: string;
  geolocation: { latitude: number; longitude: number; accuracy: number };
}

type Row = [timezoneId: string, locale: string, latitude: number, longitude: number];

const COUNTRIES: Record<string, Row> = {
  US: ['America/New_York', 'en-US', 40.7128, -74.006],
  AR: ['America/Argentina/Buenos_Aires', 'es-AR', -34.6037, -58.3816],
  AU: ['Australia/Sydney', 'en-AU', -33.8688, 151.2093],
  BR: ['America/Sao_Paulo', 'pt-BR', -23.5505, -46.6333],
  CA: ['America/Toronto', 'en-CA', 43.6532, -79.3832],
  DE: ['Europe/Berlin', 'de-DE', 52.52, 13.405],
  ES: ['Europe/Madrid', 'es-ES', 40.4168, -3.7038],
  FR: ['Europe/Paris', 'fr-FR', 48.8566, 2.3522],
  GB: ['Europe/London', 'en-GB', 51.5074, -0.1278],
  IE: ['Europe/Dublin', 'en-IE', 53.3498, -6.2603],
  IN: ['Asia/Kolkata', 'en-IN', 19.076, 72.8777],
  IT: ['Europe/Rome', 'it-IT', 41.9028, 12.4964],
  JP: ['Asia/Tokyo', 'ja-JP', 35.6762, 139.6503],
  MX: ['America/Mexico_City', 'es-MX', 19.4326, -99.1332],
  NL: ['Europe/Amsterdam', 'nl-NL', 52.3676, 4.9041],
  NZ: ['Pacific/Auckland', 'en-NZ', -36.8485, 174.7633],
  PH: ['Asia/Manila', 'en-PH', 14.5995, 120.9842],
  KR: ['Asia/Seoul', 'ko-KR', 37.5665, 126.978],
  SA: ['Asia/Riyadh', 'ar-SA', 24.7136, 46.6753],
  TR: ['Europe/Istanbul', 'tr-TR', 41.0082, 28.9784],
  ZA: ['Africa/Johannesburg', 'en-ZA', -26.2041, 28.0473],
};

const US_STATES: Record<string, Row> = {
  CA: ['America/Los_Angeles', 'en-US', 37.7749, -122.4194],
  NY: ['America/New_York', 'en-US', 40.7128, -74.006],
  TX: ['America/Chicago', 'en-US', 29.7604, -95.3698],
  FL: ['America/New_York', 'en-US', 25.7617, -80.1918],
  WA: ['America/Los_Angeles', 'en-US', 47.6062, -122.3321],
  IL: ['America/Chicago', 'en-US', 41.8781, -87.6298],
  CO: ['America/Denver', 'en-US', 39.7392, -104.9903],
  AZ: ['America/Phoenix', 'en-US', 33.4484, -112.074],
  GA: ['America/New_York', 'en-US', 33.749, -84.388],
  MA: ['America/New_York', 'en-US', 42.3601, -71.0589],
};

function profile(country: string, row: Row): GeoProfile {
  return {
    country,
    timezoneId: row[0],
    locale: row[1],
    geolocation: { latitude: row[2], longitude: row[3], accuracy: 100 },
  };
}

/** The geo profile of a country (ISO alpha-2) and optional subdivision, or null when unknown. */
export function geoProfileFor(country: string, subdivision?: string | null): GeoProfile | null {
  const cc = country.toUpperCase();
  const sub = subdivision?.toUpperCase().replace(new RegExp(`^${cc}-`), '');
  if (cc === 'US' && sub && US_STATES[sub]) return profile(cc, US_STATES[sub]);
  const row = COUNTRIES[cc];
  return row ? profile(cc, row) : null;
}

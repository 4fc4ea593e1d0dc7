export {
  ArtifactInputError,
  ArtifactService,
  type ArtifactServiceOptions,
  SCREENSHOT_URL_COUNT,
} from './service.js';
export { ArtifactUrlSigner, type SignatureCheck, URL_KEY_FILE } from './signing.js';
export {
  type ArtifactStorage,
  type ByteRange,
  LocalArtifactStorage,
  type StoredObject,
} from './storage.js';
export type { ArtifactInput, ArtifactSink, ArtifactType, StoredArtifact } from './types.js';

/** Audio storage: the built-in folder (served through signed media URLs) or an S3-compatible bucket. */

export interface StoredObject {
  size: number;
  contentType: string;
}

export interface IssuedUrl {
  url: string;
  expiresAtMs: number;
}

/** Thrown when storage cannot be reached or answered too slowly; the route turns it into a 503. */
export class StorageUnavailableError extends Error {
  override name = 'StorageUnavailableError';
}

export interface AudioStorage {
  /** Copies a local file into storage under `objectKey`. */
  putFile(objectKey: string, sourcePath: string, contentType: string): Promise<void>;
  /** Metadata of a stored object, or null when it is missing; throws StorageUnavailableError on a fault. */
  head(objectKey: string): Promise<StoredObject | null>;
  /** A URL granting GET of exactly this object until it expires. */
  issueUrl(objectKey: string, ttlSeconds: number): Promise<IssuedUrl>;
  /** Releases clients and sockets. */
  close(): Promise<void>;
}

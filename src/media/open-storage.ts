/** Picks the audio storage named by CHARTHERO_AUDIO_STORAGE (`file:<dir>` or `s3://bucket/prefix`). */
import { resolve } from 'node:path';
import type { Keyring } from '../access/digest-keyring.js';
import { createFileStorage } from './file-storage.js';
import { createS3Storage, type S3StorageOptions } from './s3-storage.js';
import type { AudioStorage } from './storage.js';

export interface AudioStorageConfig {
  audioStorage: string;
  publicBaseUrl: string;
}

/** Use `isFileStorage()` on the result to decide whether the app must serve the media path itself. */
export function openAudioStorage(
  config: AudioStorageConfig,
  keyring: () => Keyring,
  s3Options: S3StorageOptions = {},
): AudioStorage {
  if (config.audioStorage.startsWith('file:')) {
    // Relative folders are relative to the working directory, like the other paths in the configuration.
    return createFileStorage(resolve(config.audioStorage.slice('file:'.length)), {
      // Read at every URL issued: a server listening on PORT=0 learns its base URL only once listening.
      get publicBaseUrl() {
        return config.publicBaseUrl;
      },
      keyring,
    });
  }
  if (config.audioStorage.startsWith('s3://')) return createS3Storage(config.audioStorage, s3Options);
  throw new Error('audio storage must be file:<dir> or s3://bucket/prefix');
}

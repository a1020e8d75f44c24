/** Small, real, playable WAV files for the sandbox: 16-bit PCM, mono, 8 kHz. */
import type { Random } from './prng.js';

export const WAV_SAMPLE_RATE = 8000;
const HEADER_BYTES = 44;

/** A canonical 44-byte RIFF/WAVE header followed by little-endian 16-bit samples. */
export function encodeWav(samples: Int16Array, sampleRate: number = WAV_SAMPLE_RATE): Buffer {
  const dataBytes = samples.length * 2;
  const buffer = Buffer.alloc(HEADER_BYTES + dataBytes);
  buffer.write('RIFF', 0, 'ascii');
  buffer.writeUInt32LE(36 + dataBytes, 4);
  buffer.write('WAVE', 8, 'ascii');
  buffer.write('fmt ', 12, 'ascii');
  buffer.writeUInt32LE(16, 16); // fmt chunk size
  buffer.writeUInt16LE(1, 20); // PCM
  buffer.writeUInt16LE(1, 22); // mono
  buffer.writeUInt32LE(sampleRate, 24);
  buffer.writeUInt32LE(sampleRate * 2, 28); // byte rate
  buffer.writeUInt16LE(2, 32); // block align
  buffer.writeUInt16LE(16, 34); // bits per sample
  buffer.write('data', 36, 'ascii');
  buffer.writeUInt32LE(dataBytes, 40);
  for (let i = 0; i < samples.length; i++) buffer.writeInt16LE(samples[i]!, HEADER_BYTES + i * 2);
  return buffer;
}

/**
 * A few seconds of alternating tones ("speakers") over soft noise, with short fades so nothing clicks.
 * Deterministic for a given generator state.
 */
export function synthesizeClip(random: Random, seconds: number): Int16Array {
  const total = Math.round(seconds * WAV_SAMPLE_RATE);
  const samples = new Int16Array(total);
  const segment = Math.round(0.5 * WAV_SAMPLE_RATE);
  const fade = Math.round(0.02 * WAV_SAMPLE_RATE);
  for (let start = 0; start < total; start += segment) {
    const frequency = random.pick([220, 262, 330, 392, 440, 523]);
    const end = Math.min(total, start + segment);
    for (let i = start; i < end; i++) {
      const envelope = Math.min(1, (i - start) / fade, (end - i) / fade);
      const tone = Math.sin((2 * Math.PI * frequency * i) / WAV_SAMPLE_RATE) * 0.3 * envelope;
      const noise = (random.next() - 0.5) * 0.02;
      samples[i] = Math.round((tone + noise) * 32767);
    }
  }
  return samples;
}

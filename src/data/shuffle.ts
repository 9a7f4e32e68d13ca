// Bounded shuffle buffer: records wait in a buffer of fixed capacity and leave it in random
// order, so shuffling never holds more than `capacity` records whatever the data size.
import type { Rng } from './rng.js';

/** Put a record in; once the buffer is full, a random one comes out in its place. */
export function shuffleIn<T>(buffer: T[], capacity: number, item: T, rng: Rng): T | undefined {
  if (buffer.length < capacity) {
    buffer.push(item);
    return undefined;
  }
  const j = rng.int(capacity);
  const out = buffer[j];
  buffer[j] = item;
  return out;
}

/** Take a random record out (end of the data); undefined when empty. */
export function shuffleOut<T>(buffer: T[], rng: Rng): T | undefined {
  if (buffer.length === 0) return undefined;
  const j = rng.int(buffer.length);
  const out = buffer[j];
  buffer[j] = buffer[buffer.length - 1];
  buffer.pop();
  return out;
}

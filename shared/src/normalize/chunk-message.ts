/** The checks a normalize message must pass before any work: retrying a message that fails them cannot help. */
import type { NormalizeChunkMessage } from '../lake/messages';

/** A message the normalizer cannot act on however often it is retried. */
export class NormalizeMessageError extends Error {
  override name = 'NormalizeMessageError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Checks the message's chunk and returns its ingest time; throws NormalizeMessageError. */
export function checkChunkMessage(message: NormalizeChunkMessage): Date {
  const ingestedAt = new Date(message.ingestedAt);
  if (Number.isNaN(ingestedAt.getTime()))
    throw new NormalizeMessageError(
      `normalize message for ${message.dataset} chunk ${message.chunk.index} has an invalid ingestedAt`,
    );
  const { index, count, range, continues } = message.chunk;
  if (!Number.isInteger(index) || !Number.isInteger(count) || index < 0 || index >= count) {
    throw new NormalizeMessageError(`normalize message for ${message.dataset} has chunk ${index} of ${count}`);
  }
  // A chunk past the start has no header of its own: it must say where the header is.
  if (range !== undefined && range.start > 0 && (continues === undefined || message.format !== 'csv')) {
    throw new NormalizeMessageError(
      `normalize message for ${message.dataset} chunk ${index} starts at byte ${range.start} but does not say where the header is (only CSV chunks can)`,
    );
  }
  return ingestedAt;
}

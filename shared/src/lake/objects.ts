/** Small objects read whole: state records, manifests, reasons. */
import type { ObjectStore } from '../ports';
import { NoSuchKeyError } from '../ports';

export async function readObjectText(store: ObjectStore, bucket: string, key: string): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of await store.get(bucket, key))
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks).toString('utf8');
}

/** The object parsed as JSON, or undefined when there is no such object. */
export async function readJsonIfPresent<T>(store: ObjectStore, bucket: string, key: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readObjectText(store, bucket, key)) as T;
  } catch (error) {
    if (error instanceof NoSuchKeyError) return undefined;
    throw error;
  }
}

/**
 * SHA-256 and HMAC-SHA256 on node:crypto for the smithy SigV4 signer, which
 * otherwise hashes in pure JavaScript (@aws-crypto/sha256-js): several times
 * slower on a 10 MB body. The verifier and the local client both sign with it.
 */
import { createHash, createHmac } from 'node:crypto';
import type { SourceData } from '@smithy/types';

const bytesOf = (data: SourceData): Uint8Array | string =>
  typeof data === 'string'
    ? data
    : data instanceof ArrayBuffer
      ? new Uint8Array(data)
      : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);

/** SHA-256 (HMAC-SHA256 with a secret) on node:crypto, in the shape the smithy signer takes. */
export class NodeSha256 {
  private readonly secret: Uint8Array | string | undefined;
  private hash;
  constructor(secret?: SourceData) {
    this.secret = secret === undefined ? undefined : bytesOf(secret);
    this.hash = this.fresh();
  }
  private fresh() {
    return this.secret === undefined ? createHash('sha256') : createHmac('sha256', this.secret);
  }
  update(data: SourceData): void {
    this.hash.update(bytesOf(data));
  }
  async digest(): Promise<Uint8Array> {
    return this.hash.digest();
  }
  reset(): void {
    this.hash = this.fresh();
  }
}

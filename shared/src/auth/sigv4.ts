/**
 * AWS Signature Version 4 verification (`AWS4-HMAC-SHA256`, header form): the
 * request as it arrived is signed again with @smithy/signature-v4 (the AWS
 * SDK's own signer) over exactly the headers the client signed, with the
 * caller's secret, and the two signatures are compared in constant time. The
 * signer hashes the body itself (`applyChecksum: false`: curl and botocore
 * send no `x-amz-content-sha256` for execute-api), so a body changed in
 * flight fails. The checks before it name what is wrong without a secret.
 * Pure: no clock, no registry, no event shapes.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { RefusalError } from '../refusal';
import { NodeSha256 } from './node-sha256';

export const ALGORITHM = 'AWS4-HMAC-SHA256';
/** How far a request's x-amz-date may be from the server's clock, either way. */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;

/** A request as it reached the server. */
export interface SignedRequest {
  method: string;
  /** The path as the client sent it, still percent-encoded (`/dev/v1/queries`). */
  path: string;
  /** Query parameters, decoded, with every value of a repeated name. */
  query: Readonly<Record<string, readonly string[]>>;
  /** Header names in any case; repeated headers with every value. */
  headers: Readonly<Record<string, string | readonly string[]>>;
  body: Buffer;
}

/** Which check refused the request: the code the caller gets, never a secret or an expected signature. */
export type SignatureCheck =
  | 'missing_authorization'
  | 'malformed_authorization'
  | 'unsupported_algorithm'
  | 'missing_date'
  | 'clock_skew'
  | 'credential_scope'
  | 'unsigned_header'
  | 'unknown_key'
  | 'payload_hash'
  | 'signature_mismatch';

/** The request's signature does not hold: the caller is not identified. */
export class SignatureError extends RefusalError {
  override name = 'SignatureError';
  constructor(
    /** The check that failed. */
    override readonly code: SignatureCheck,
    message: string,
    options?: { cause?: unknown },
  ) {
    super('unauthenticated', code, message, undefined, options);
  }
}

export interface ParsedAuthorization {
  accessKeyId: string;
  /** yyyymmdd */
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
}

/** Parses `AWS4-HMAC-SHA256 Credential=AKID/20240101/region/service/aws4_request, SignedHeaders=a;b, Signature=hex`. */
export function parseAuthorization(header: string): ParsedAuthorization {
  const space = header.indexOf(' ');
  const algorithm = space < 0 ? header : header.slice(0, space);
  if (algorithm !== ALGORITHM)
    throw new SignatureError(
      'unsupported_algorithm',
      `the Authorization header must use ${ALGORITHM} (AWS Signature Version 4)`,
    );
  const fields = new Map<string, string>();
  for (const part of header.slice(space + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const credential = fields.get('Credential')?.split('/') ?? [];
  const signedHeaders = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  const [accessKeyId, date, region, service, terminator] = credential;
  if (
    credential.length !== 5 ||
    !accessKeyId ||
    !date ||
    !region ||
    !service ||
    terminator !== 'aws4_request' ||
    !/^\d{8}$/.test(date)
  ) {
    throw new SignatureError(
      'malformed_authorization',
      'the Authorization header has no valid Credential=<key id>/<yyyymmdd>/<region>/<service>/aws4_request',
    );
  }
  if (
    signedHeaders === undefined ||
    signedHeaders === '' ||
    signature === undefined ||
    !/^[0-9a-f]{64}$/.test(signature)
  ) {
    throw new SignatureError(
      'malformed_authorization',
      'the Authorization header needs SignedHeaders=... and a 64-hex-digit Signature=...',
    );
  }
  return { accessKeyId, date, region, service, signedHeaders: signedHeaders.split(';'), signature };
}

/** Header values by lower-case name, every value of a repeated header in order. */
function headerValues(headers: SignedRequest['headers']): Map<string, string[]> {
  const byName = new Map<string, string[]>();
  for (const [name, value] of Object.entries(headers)) {
    const list = byName.get(name.toLowerCase()) ?? [];
    list.push(...(typeof value === 'string' ? [value] : value));
    byName.set(name.toLowerCase(), list);
  }
  return byName;
}

const sha256Hex = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

/** `x-amz-date` (20240301T080000Z) as a Date; undefined when it is not one. */
function parseAmzDate(text: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (m === null) return undefined;
  const date = new Date(
    Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])),
  );
  return Number.isNaN(date.getTime()) ? undefined : date;
}

export interface VerifyOptions {
  /** The region clients must sign for. */
  region: string;
  /** The service clients must sign for (`execute-api`). */
  service: string;
  now: Date;
  /** The secret of an access key id, or undefined when the key is unknown. */
  secretOf(accessKeyId: string): Promise<string | undefined>;
}

/**
 * Verifies the request's signature and returns the access key id that signed
 * it. Throws SignatureError naming the first check that failed.
 */
export async function verifySignature(
  request: SignedRequest,
  options: VerifyOptions,
): Promise<{ accessKeyId: string }> {
  const headers = headerValues(request.headers);
  const authorization = headers.get('authorization')?.[0];
  if (authorization === undefined || authorization.trim() === '') {
    throw new SignatureError(
      'missing_authorization',
      `the request is not signed: sign it with AWS Signature Version 4 (service ${options.service}, region ${options.region})`,
    );
  }
  const auth = parseAuthorization(authorization.trim());
  const amzDate = headers.get('x-amz-date')?.[0]?.trim();
  const when = amzDate === undefined ? undefined : parseAmzDate(amzDate);
  if (amzDate === undefined || when === undefined)
    throw new SignatureError(
      'missing_date',
      'the request needs an x-amz-date header (yyyymmddThhmmssZ), and it must be signed',
    );
  if (Math.abs(options.now.getTime() - when.getTime()) > MAX_CLOCK_SKEW_MS) {
    throw new SignatureError(
      'clock_skew',
      `the request was signed at ${when.toISOString()}, more than 5 minutes from the server's time ${options.now.toISOString()}: check the client's clock, then sign it again`,
    );
  }
  if (auth.date !== amzDate.slice(0, 8) || auth.region !== options.region || auth.service !== options.service) {
    throw new SignatureError(
      'credential_scope',
      `the credential scope must be <yyyymmdd of x-amz-date>/${options.region}/${options.service}/aws4_request`,
    );
  }
  for (const required of ['host', 'x-amz-date']) {
    if (!auth.signedHeaders.includes(required))
      throw new SignatureError('unsigned_header', `the ${required} header must be among the signed headers`);
  }
  for (const name of auth.signedHeaders) {
    if (name !== name.toLowerCase() || !headers.has(name))
      throw new SignatureError(
        'unsigned_header',
        `signed header ${/^[a-z0-9-]{1,64}$/i.test(name) ? name : ''} is not in the request (names must be lower case)`,
      );
  }
  // The signer hashes the body for the signature; a declared hash is checked here only to name the failure.
  const declared = headers.get('x-amz-content-sha256')?.[0]?.trim();
  if (declared !== undefined && declared !== sha256Hex(request.body)) {
    throw new SignatureError(
      'payload_hash',
      'x-amz-content-sha256 is not the SHA-256 of the body received: sign the exact bytes sent (unsigned payloads are not accepted)',
    );
  }

  const secret = await options.secretOf(auth.accessKeyId);
  if (secret === undefined)
    throw new SignatureError(
      'unknown_key',
      'the access key id is not registered: ask the lake operator for a partner key',
    );

  // Signed again exactly as the client did: its headers (and only those), its path as sent, its date.
  const signedHeaderValues: Record<string, string> = {};
  for (const name of auth.signedHeaders)
    if (name !== 'x-amz-date') signedHeaderValues[name] = (headers.get(name) ?? []).join(',');
  const signer = new SignatureV4({
    credentials: { accessKeyId: auth.accessKeyId, secretAccessKey: secret },
    region: auth.region,
    service: auth.service,
    sha256: NodeSha256,
    applyChecksum: false,
  });
  const resigned = await signer.sign(
    {
      method: request.method.toUpperCase(),
      protocol: 'https:',
      hostname: headers.get('host')?.[0] ?? '',
      path: request.path === '' ? '/' : request.path,
      query: { ...request.query } as Record<string, string | string[]>,
      headers: signedHeaderValues,
      body: request.body,
    },
    { signingDate: when, signableHeaders: new Set(auth.signedHeaders) },
  );
  const expectedText = /Signature=([0-9a-f]{64})/.exec(String(resigned.headers['authorization'] ?? ''))?.[1] ?? '';
  const expected = Buffer.from(expectedText.padEnd(64, '0'), 'hex');
  if (!timingSafeEqual(expected, Buffer.from(auth.signature, 'hex'))) {
    throw new SignatureError(
      'signature_mismatch',
      'the signature does not match: sign the method, path, query, headers and body exactly as sent, with the secret of this key',
    );
  }
  return { accessKeyId: auth.accessKeyId };
}

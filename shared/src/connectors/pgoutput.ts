/**
 * A decoder for PostgreSQL's `pgoutput` logical replication messages
 * (protocol version 1, text tuples), as the server's "Logical Replication
 * Message Formats" page lays them out. It turns one decoding session's
 * messages into row changes with their table, column names, commit LSN and
 * commit time; messages a follower does not need (origin, type, logical
 * messages) are skipped.
 */

export interface RowChange {
  op: 'insert' | 'update' | 'delete' | 'truncate';
  /** `schema.table`. */
  table: string;
  /** The new row for insert and update; columns left unchanged in TOAST are absent. */
  row?: Record<string, string | null>;
  /** The old row (all columns with REPLICA IDENTITY FULL, the key columns otherwise) for delete and some updates. */
  old?: Record<string, string | null>;
  /** The LSN of the transaction's commit, as `X/X`. */
  commitLsn: string;
  /** The transaction's commit time (ISO 8601 UTC). */
  committedAt: string;
}

interface Relation {
  table: string;
  columns: string[];
}

/** Microseconds between the Unix epoch and PostgreSQL's (2000-01-01). */
const POSTGRES_EPOCH_MS = 946_684_800_000;

class Reader {
  private at = 0;
  constructor(private readonly bytes: Buffer) {}
  byte(): number {
    return this.bytes.readUInt8(this.at++);
  }
  int16(): number {
    const v = this.bytes.readInt16BE(this.at);
    this.at += 2;
    return v;
  }
  int32(): number {
    const v = this.bytes.readInt32BE(this.at);
    this.at += 4;
    return v;
  }
  int64(): bigint {
    const v = this.bytes.readBigUInt64BE(this.at);
    this.at += 8;
    return v;
  }
  lsn(): string {
    const v = this.int64();
    return `${(v >> 32n).toString(16).toUpperCase()}/${(v & 0xffffffffn).toString(16).toUpperCase()}`;
  }
  timestamp(): string {
    return new Date(POSTGRES_EPOCH_MS + Number(this.int64() / 1000n)).toISOString();
  }
  string(): string {
    const end = this.bytes.indexOf(0, this.at);
    const v = this.bytes.toString('utf8', this.at, end);
    this.at = end + 1;
    return v;
  }
  tuple(columns: readonly string[]): Record<string, string | null> {
    const row: Record<string, string | null> = {};
    const count = this.int16();
    for (let i = 0; i < count; i++) {
      const kind = String.fromCharCode(this.byte());
      const name = columns[i] ?? `column_${i}`;
      if (kind === 'n') row[name] = null;
      else if (kind === 't') {
        const length = this.int32();
        row[name] = this.bytes.toString('utf8', this.at, this.at + length);
        this.at += length;
      }
      // 'u': an unchanged TOASTed value the server did not send; the column is left out.
    }
    return row;
  }
}

/** Thrown on a message this decoder cannot read; the batch is not landed and the slot does not move. */
export class PgoutputDecodeError extends Error {
  override name = 'PgoutputDecodeError';
}

/**
 * Decodes the messages of one decoding session, in order. Relation messages
 * come before a table's first change in every session, so none is carried over.
 */
export function decodePgoutput(messages: readonly Buffer[]): RowChange[] {
  const relations = new Map<number, Relation>();
  const changes: RowChange[] = [];
  let pending: Omit<RowChange, 'commitLsn' | 'committedAt'>[] = [];
  let committedAt = '';
  const relationOf = (id: number): Relation => {
    const relation = relations.get(id);
    if (relation === undefined) throw new PgoutputDecodeError(`a change names relation ${id}, which was not described`);
    return relation;
  };
  for (const message of messages) {
    const r = new Reader(message);
    const tag = String.fromCharCode(r.byte());
    switch (tag) {
      case 'B':
        r.lsn();
        committedAt = r.timestamp();
        pending = [];
        break;
      case 'C': {
        r.byte();
        const commitLsn = r.lsn();
        for (const change of pending) changes.push({ ...change, commitLsn, committedAt });
        pending = [];
        break;
      }
      case 'R': {
        const id = r.int32();
        const table = `${r.string()}.${r.string()}`;
        r.byte();
        const columns: string[] = [];
        for (let i = r.int16(); i > 0; i--) {
          r.byte();
          columns.push(r.string());
          r.int32();
          r.int32();
        }
        relations.set(id, { table, columns });
        break;
      }
      case 'I': {
        const relation = relationOf(r.int32());
        r.byte();
        pending.push({ op: 'insert', table: relation.table, row: r.tuple(relation.columns) });
        break;
      }
      case 'U': {
        const relation = relationOf(r.int32());
        const kind = String.fromCharCode(r.byte());
        let old: Record<string, string | null> | undefined;
        if (kind === 'K' || kind === 'O') {
          old = r.tuple(relation.columns);
          r.byte();
        }
        pending.push({
          op: 'update',
          table: relation.table,
          row: r.tuple(relation.columns),
          ...(old !== undefined ? { old } : {}),
        });
        break;
      }
      case 'D': {
        const relation = relationOf(r.int32());
        r.byte();
        pending.push({ op: 'delete', table: relation.table, old: r.tuple(relation.columns) });
        break;
      }
      case 'T': {
        const count = r.int32();
        r.byte();
        for (let i = 0; i < count; i++) pending.push({ op: 'truncate', table: relationOf(r.int32()).table });
        break;
      }
      case 'O':
      case 'Y':
      case 'M':
        break;
      default:
        throw new PgoutputDecodeError(`unknown pgoutput message ${JSON.stringify(tag)}`);
    }
  }
  return changes;
}

/**
 * Files pushed through the running lake as a user would: put into the
 * dropzone bucket (each fires its ObjectCreated event), then read back from
 * what the pipeline wrote about them (`lake ingest`, `lake up --demo`).
 */
import { basename } from 'node:path';
import { formatOfExtension } from '@pulse-lake/shared/ingest/land-dropped-object';
import { extensionOf } from '@pulse-lake/shared/lake/keys';
import type { RunningLake } from '../runtime/runtime';
import type { FileOutcome } from './outcomes';
import { fileOutcomes, sha256File } from './outcomes';

export interface Dropped {
  file: string;
  dropKey: string;
  contentHash: string;
  dataset?: string;
}

/** Puts files into the dropzone bucket through the store, so each fires its ObjectCreated event. */
export async function dropFiles(
  running: RunningLake,
  files: { path: string; dataset?: string }[],
  onEach?: (i: number) => void,
): Promise<Dropped[]> {
  const dropped: Dropped[] = [];
  for (const [i, file] of files.entries()) {
    const dropKey = file.dataset !== undefined ? `${file.dataset}/${basename(file.path)}` : basename(file.path);
    const contentHash = await sha256File(file.path);
    await running.lake.store.putFile(running.lake.names.buckets.dropzone, dropKey, file.path);
    dropped.push({
      file: file.path,
      dropKey,
      contentHash,
      ...(file.dataset !== undefined ? { dataset: file.dataset } : {}),
    });
    onEach?.(i + 1);
  }
  return dropped;
}

/** What became of each dropped file since `since` (a workbook has one outcome per dataset its sheets hold). */
export async function droppedOutcomes(
  running: RunningLake,
  dropped: Dropped[],
  since: Date,
): Promise<(Dropped & { outcome: FileOutcome })[]> {
  const out: (Dropped & { outcome: FileOutcome })[] = [];
  for (const d of dropped) {
    // A workbook lands as every dataset its sheets hold, whatever folder it was dropped under.
    const dataset =
      d.dataset !== undefined && formatOfExtension(extensionOf(d.dropKey)) !== 'xlsx' ? { dataset: d.dataset } : {};
    for (const outcome of await fileOutcomes(running.lake.store, running.lake.names, {
      contentHash: d.contentHash,
      dropKey: d.dropKey,
      since,
      ...dataset,
    }))
      out.push({ ...d, outcome });
  }
  return out;
}

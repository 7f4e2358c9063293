/**
 * Freshness under load: the device simulator writes readings into the local
 * telemetry table at a fixed rate while the whole lake runs (stream consumer,
 * planner, normalizers in worker processes, catalog), and a poller asks the
 * query engine every 250 ms how many readings of each write are queryable.
 * A reading's delay is from its table write to the first poll that counts it.
 * Rates run in turn; a rate is sustained when the lake keeps up with it: p95
 * delay within the 10 s bar, and what is left when the writers stop is done
 * within 10 s too (a growing backlog shows there first). The throughput ceiling
 * is the highest sustained rate.
 *
 *   node --import tsx src/stream-freshness.ts [--rates 2000,4000] [--seconds 60]
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { PlainItem } from '@pulse-lake/shared/adapters/local/index';
import { databaseFor } from '@pulse-lake/shared/catalog/table-definition';
import { vitals } from '@pulse-lake/shared/datasets/vitals';
import { runToCompletion } from '@pulse-lake/shared/query/run';
import { engineTimestamp } from '@pulse-lake/shared/query/format';
import { generateFleet } from '@pulse-lake/local/demo/fleet';
import { startDeviceSimulator } from '@pulse-lake/local/demo/device-simulator';
import { startLake } from '@pulse-lake/local/runtime/runtime';
import { peakRssMib, percentile } from './child';

const SCRATCH = fileURLToPath(new URL('../scratch/stream-freshness', import.meta.url));
const POLL_MS = 250;
/** The freshness bar: p95 delay, and the longest catch-up after the writers stop, for a rate to count as sustained. */
const BAR_MS = 10_000;

interface SecondGroup {
  /** When each expected reading's table write returned, in write order. */
  writtenAt: number[];
  keys: Set<string>;
}

/** Records a vitals reading the lake should make queryable: in range, stamped at write time, counted once per key. */
function expectVitals(item: PlainItem, writtenAt: number, expected: Map<string, SecondGroup>): void {
  if (item['type'] !== 'vitals') return;
  const heartRate = Number(item['heart_rate_bpm']);
  const at = String(item['recorded_at']);
  if (heartRate < 20 || heartRate > 250 || Date.parse(at) > writtenAt + 60_000) return;
  const second = at.slice(0, 19);
  const group = expected.get(second) ?? { writtenAt: [], keys: new Set<string>() };
  expected.set(second, group);
  const key = `${String(item['device_serial'])} ${at}`;
  if (group.keys.has(key)) return;
  group.keys.add(key);
  group.writtenAt.push(writtenAt);
}

export async function benchStreamFreshness(
  rates: readonly number[],
  seconds: number,
): Promise<Record<string, unknown>[]> {
  const figures: Record<string, unknown>[] = [];
  for (const rate of rates) {
    const home = join(SCRATCH, `rate-${rate}`);
    rmSync(home, { recursive: true, force: true });
    mkdirSync(home, { recursive: true });
    // 2,000 wearables: at 2,000 readings/s each writes one a second.
    const fleet = await generateFleet(join(home, 'demo'), { patients: 2000, days: 1 });
    // As `lake up` runs on this machine: normalizers in one worker process per core.
    const running = await startLake({ home, workers: 2, onError: () => undefined });
    const table = running.lake.names.tables.telemetry;
    const expected = new Map<string, SecondGroup>();
    const seen = new Map<string, number>();
    const delays: number[] = [];
    const vitalsTable = `"${databaseFor(vitals, running.lake.names)}"."vitals"`;
    const started = Date.now();
    const since = new Date(started - 1000).toISOString().slice(0, 19).replace('T', ' ');

    const backlog = async () => {
      const queue = await running.lake.queue.depth(running.lake.names.queues.normalize);
      return (await running.streamBacklog(table)) + queue.visible + queue.inFlight;
    };
    let polling = true;
    const poller = (async () => {
      while (polling) {
        const pollStarted = Date.now();
        try {
          const result = await runToCompletion(
            running.lake.engine,
            `SELECT CAST(date_trunc('second', recorded_at) AS VARCHAR), count(*) FROM ${vitalsTable} WHERE recorded_at >= TIMESTAMP '${since}' GROUP BY 1`,
            { firstPollMs: 5 },
          );
          const at = Date.now();
          for (const [time, count] of result.rows) {
            const second = engineTimestamp(time ?? '')
              ?.toISOString()
              .slice(0, 19);
            if (second === undefined) continue;
            const group = expected.get(second);
            if (group === undefined) continue;
            const before = seen.get(second) ?? 0;
            // Readings of one second that became visible are taken to be its earliest-written ones.
            const visible = Math.min(group.writtenAt.length, Number(count));
            for (let i = before; i < visible; i++) delays.push(at - (group.writtenAt[i] ?? at));
            seen.set(second, Math.max(before, visible));
          }
        } catch {
          // A view swapped mid-poll (a new catalog version): the next poll sees it.
        }
        await new Promise((wake) => setTimeout(wake, Math.max(0, POLL_MS - (Date.now() - pollStarted))));
      }
    })();

    const simulator = startDeviceSimulator(fleet.wearers, (items) => running.lake.tables.putItems(table, items), {
      readingsPerSecond: rate,
      onWritten: (item, writtenAt) => expectVitals(item, writtenAt, expected),
      onError: () => undefined,
    });
    const samples: number[] = [];
    const sampler = setInterval(() => void backlog().then((n) => samples.push(n)), 1000);
    await new Promise((wake) => setTimeout(wake, seconds * 1000));
    const stats = await simulator.stop();
    clearInterval(sampler);
    const backlogAtEnd = await backlog();
    // What the run left behind is allowed to finish, so every reading gets a delay.
    const drainStarted = Date.now();
    await running.drain({ timeoutMs: 10 * 60_000 });
    const drainMs = Date.now() - drainStarted;
    await new Promise((wake) => setTimeout(wake, 2 * POLL_MS));
    polling = false;
    await poller;
    await running.stop();

    const half = samples.slice(Math.floor(samples.length / 2));
    const growth = (half[half.length - 1] ?? 0) - (half[0] ?? 0);
    const p95 = percentile(delays, 95);
    const expectedTotal = [...expected.values()].reduce((sum, g) => sum + g.writtenAt.length, 0);
    figures.push({
      bench: 'stream_freshness',
      readings_per_second: rate,
      seconds,
      devices: fleet.wearers.length,
      readings_written: stats.written,
      sustained_readings_per_second: Math.round(stats.written / ((Date.now() - started - drainMs) / 1000)),
      vitals_readings_timed: delays.length,
      vitals_readings_expected: expectedTotal,
      delay_p50_ms: percentile(delays, 50),
      delay_p95_ms: p95,
      delay_max_ms: percentile(delays, 100),
      backlog_at_end: backlogAtEnd,
      backlog_growth_second_half: growth,
      sustained: p95 <= BAR_MS && drainMs <= BAR_MS,
      drain_after_stop_ms: drainMs,
      lake_process_peak_rss_mib: peakRssMib(),
    });
  }
  return figures;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values } = parseArgs({ options: { rates: { type: 'string' }, seconds: { type: 'string' } } });
  const rates = (values.rates ?? '2000').split(',').map(Number);
  for (const figures of await benchStreamFreshness(rates, Number(values.seconds ?? 60)))
    console.log(JSON.stringify(figures));
}

/**
 * A live device fleet for `lake up --demo` and the freshness bench: every
 * wearer's device writes readings into the telemetry table as they are taken,
 * at a fleet-wide rate. Mostly vitals, with ECG strips, gait summaries and
 * doses among them. A few devices are faulty, as in the field: one with a
 * loose sensor reads impossible heart rates, one has its clock hours ahead,
 * one sends every reading twice. The lake must reject, flag or dedupe them.
 */
import { dosage } from '@pulse-lake/shared/datasets/dosage';
import { ecg } from '@pulse-lake/shared/datasets/ecg';
import { gait } from '@pulse-lake/shared/datasets/gait';
import { vitals } from '@pulse-lake/shared/datasets/vitals';
import type { PlainItem } from '@pulse-lake/shared/adapters/local/index';
import { telemetryItem } from '@pulse-lake/shared/lake/telemetry-items';
import type { Wearer } from './fleet';
import { createRandom } from './fleet/random';

export interface SimulatorOptions {
  /** Readings per second across the fleet. */
  readingsPerSecond: number;
  /** How often the fleet writes (one table write per tick; default 100 ms). */
  tickMs?: number;
  /** PRNG seed (default 11). */
  seed?: number;
  /** Called for each reading as it is written (the bench uses it to time readings). */
  onWritten?: (item: PlainItem, writtenAt: number) => void;
  /** Where a failed write is reported (the simulator keeps going). */
  onError?: (error: unknown) => void;
}

export interface SimulatorStats {
  written: number;
  /** Table writes that failed (their readings are lost, as a device without retries would lose them). */
  failedWrites: number;
}

export interface DeviceSimulator {
  stats(): SimulatorStats;
  stop(): Promise<SimulatorStats>;
}

type Fault = 'loose_sensor' | 'clock_ahead' | 'double_send';

/** Timestamps as devices send them: UTC with `Z`, to the millisecond. */
const iso = (ms: number) => new Date(ms).toISOString();

/** One reading of `wearer`'s device taken at `at`, of a dataset chosen by how often devices produce it. */
function takeReading(wearer: Wearer, at: number, random: () => number, fault: Fault | undefined): PlainItem {
  const noise = (spread: number) => (random() - 0.5) * 2 * spread;
  const round = (value: number, digits = 0) => Number(value.toFixed(digits));
  const common = { patient_id: wearer.patientId, device_serial: wearer.deviceSerial, site: wearer.site };
  const roll = random();
  if (roll < 0.9) {
    const heartRate =
      fault === 'loose_sensor' && random() < 0.5
        ? round(random() < 0.5 ? 0 : 310 + random() * 40)
        : round(wearer.restingHr + noise(8));
    return telemetryItem(vitals, {
      ...common,
      recorded_at: iso(at),
      heart_rate_bpm: heartRate,
      spo2_pct: round(Math.min(100, wearer.spo2 + noise(1.5)), 1),
    });
  }
  if (roll < 0.96) {
    const rr = round(60_000 / (wearer.restingHr + noise(6)));
    const qt = round(380 + noise(25));
    return telemetryItem(ecg, {
      ...common,
      recorded_at: iso(at),
      heart_rate_bpm: round(60_000 / rr),
      pr_ms: round(160 + noise(20)),
      qrs_ms: round(92 + noise(10)),
      qt_ms: qt,
      qtc_ms: round(qt / Math.sqrt(rr / 1000)),
      rr_ms: rr,
      rhythm: random() < 0.05 ? 'atrial fibrillation' : 'sinus rhythm',
    });
  }
  if (roll < 0.99 || wearer.medications.length === 0) {
    const cadence = round(95 + noise(15));
    return telemetryItem(gait, {
      ...common,
      recorded_at: iso(at),
      step_count: Math.floor(random() * 400),
      cadence_spm: cadence,
      stride_length_m: round(0.55 + noise(0.1), 2),
      gait_speed_mps: round(0.8 + noise(0.2), 2),
      gait_angle_deg: round(noise(12), 1),
      fall_detected: random() < 0.002,
    });
  }
  const medication = wearer.medications[Math.floor(random() * wearer.medications.length)] ?? wearer.medications[0];
  const dose =
    medication === undefined ? { name: 'metformin', dose: 500, unit: 'mg', maxMg: 2000, route: 'oral' } : medication;
  return telemetryItem(dosage, {
    ...common,
    administered_at: iso(at),
    medication: dose.name,
    dose_mg: dose.dose,
    dose_unit: dose.unit,
    prescribed_max_mg: dose.maxMg,
    route: dose.route,
  });
}

/**
 * Starts writing readings through `put` (the telemetry table's putItems) at
 * `readingsPerSecond`. A tick that finds the previous write still running
 * skips, and the next one writes all that came due meanwhile: one write at a
 * time, never a pile of them.
 */
export function startDeviceSimulator(
  wearers: readonly Wearer[],
  put: (items: PlainItem[]) => Promise<unknown>,
  options: SimulatorOptions,
): DeviceSimulator {
  if (wearers.length === 0) throw new RangeError('the device simulator needs at least one wearer');
  const random = createRandom(options.seed ?? 11);
  const tickMs = options.tickMs ?? 100;
  // Three faulty devices, one of each kind, whatever the fleet's size.
  const faults = new Map<string, Fault>();
  const kinds: Fault[] = ['loose_sensor', 'clock_ahead', 'double_send'];
  for (const [i, kind] of kinds.entries()) {
    const wearer = wearers[Math.floor((i + 1) * (wearers.length / (kinds.length + 1)))];
    if (wearer !== undefined && wearers.length > kinds.length) faults.set(wearer.deviceSerial, kind);
  }
  const stats: SimulatorStats = { written: 0, failedWrites: 0 };
  const started = Date.now();
  let next = 0;
  let attempted = 0;
  let lastWrite = started;
  let writing: Promise<void> | undefined;

  const tick = () => {
    if (writing !== undefined) return;
    const now = Date.now();
    const due = Math.floor(((now - started) / 1000) * options.readingsPerSecond) - attempted;
    if (due <= 0) return;
    attempted += due;
    const items: PlainItem[] = [];
    // Readings due since the last write were taken over that time, not all at once.
    const since = lastWrite;
    lastWrite = now;
    for (let i = 0; i < due; i++) {
      const wearer = wearers[next++ % wearers.length] as Wearer;
      const fault = faults.get(wearer.deviceSerial);
      const takenAt = Math.round(since + ((i + 1) * (now - since)) / due);
      const item = takeReading(wearer, fault === 'clock_ahead' ? takenAt + 3 * 3_600_000 : takenAt, random, fault);
      items.push(item);
      if (fault === 'double_send') items.push({ ...item });
    }
    writing = put(items)
      .then(() => {
        const at = Date.now();
        stats.written += due;
        for (const item of items) options.onWritten?.(item, at);
      })
      .catch((error: unknown) => {
        stats.failedWrites += 1;
        options.onError?.(error);
      })
      .finally(() => {
        writing = undefined;
      });
  };
  const timer = setInterval(tick, tickMs);
  return {
    stats: () => ({ ...stats }),
    async stop() {
      clearInterval(timer);
      await writing;
      return { ...stats };
    },
  };
}

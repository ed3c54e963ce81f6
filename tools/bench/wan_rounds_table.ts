/**
 * Pure summary and text of `bench --wan --rounds N` (wan_rounds.ts): per row, the medians over the
 * rounds of what each round measured, and each round's ratio to the best UDP tunnel of that same
 * round (so drift between rounds cancels out).
 */
import { percentile } from "./percentile.ts";
import { type Column, formatColumns } from "./table.ts";

/** One row measured once, in one round. */
export interface RoundSample {
  readonly label: string;
  /** Whether the row is a UDP tunnel (the reference). */
  readonly udp: boolean;
  readonly round: number;
  readonly status: "ok" | "failed";
  readonly note?: string;
  /** Median idle round trip, ms. */
  readonly idleMs: number;
  /** Every loaded ping's round trip, ms, and how many were sent. */
  readonly loadedMs: readonly number[];
  readonly loadedSent: number;
  readonly upBps: number;
  readonly downBps: number;
  /** How long small frames (the pings among them) waited in the bottleneck, client to server. */
  readonly queueP50Ms: number;
  readonly queueP95Ms: number;
}

/** A ping slower than the idle round trip plus the bottleneck's whole queue (30 ms) plus this. */
export const LATE_MARGIN_MS = 20;

export interface RowSummary {
  readonly label: string;
  readonly rounds: number;
  readonly medianMs: number;
  readonly p95Ms: number;
  /** Loaded pings answered later than a full bottleneck queue explains (loss recovery), percent. */
  readonly latePercent: number;
  /** Loaded pings never answered, percent. */
  readonly lostPercent: number;
  readonly queueP50Ms: number;
  readonly queueP95Ms: number;
  readonly upMbit: number;
  readonly downMbit: number;
  /** Median over the rounds of this row's median / the round's best UDP median. */
  readonly rttRatio: number;
  /** Median over the rounds of this row's slower direction / the best UDP tunnel's. */
  readonly throughputRatio: number;
}

const median = (values: readonly number[]) =>
  values.length === 0 ? NaN : percentile(values.filter(Number.isFinite), 50);

/** The best UDP tunnel of a round: the lowest loaded median among the UDP rows. */
function bestUdp(samples: readonly RoundSample[], round: number): RoundSample | undefined {
  let best: RoundSample | undefined;
  for (const s of samples) {
    if (s.round !== round || !s.udp || s.status !== "ok" || s.loadedMs.length === 0) continue;
    if (!best || percentile(s.loadedMs, 50) < percentile(best.loadedMs, 50)) best = s;
  }
  return best;
}

/** Each row's summary over the rounds, in the order rows first appear. */
export function summarizeRounds(samples: readonly RoundSample[]): RowSummary[] {
  const labels = [...new Set(samples.map((s) => s.label))];
  return labels.map((label) => {
    const mine = samples.filter((s) => s.label === label && s.status === "ok");
    const perRound = mine.map((s) => {
      const best = bestUdp(samples, s.round);
      const slower = (x: RoundSample) => Math.min(x.upBps, x.downBps);
      const med = s.loadedMs.length ? percentile(s.loadedMs, 50) : NaN;
      return {
        median: med,
        p95: s.loadedMs.length ? percentile(s.loadedMs, 95) : NaN,
        late: s.loadedMs.filter((ms) => ms > s.idleMs + 30 + LATE_MARGIN_MS).length /
          Math.max(1, s.loadedSent),
        lost: (s.loadedSent - s.loadedMs.length) / Math.max(1, s.loadedSent),
        rttRatio: best ? med / percentile(best.loadedMs, 50) : NaN,
        thrRatio: best ? slower(s) / slower(best) : NaN,
      };
    });
    return {
      label,
      rounds: mine.length,
      medianMs: median(perRound.map((r) => r.median)),
      p95Ms: median(perRound.map((r) => r.p95)),
      latePercent: 100 * median(perRound.map((r) => r.late)),
      lostPercent: 100 * median(perRound.map((r) => r.lost)),
      queueP50Ms: median(mine.map((s) => s.queueP50Ms)),
      queueP95Ms: median(mine.map((s) => s.queueP95Ms)),
      upMbit: median(mine.map((s) => s.upBps / 1e6)),
      downMbit: median(mine.map((s) => s.downBps / 1e6)),
      rttRatio: median(perRound.map((r) => r.rttRatio)),
      throughputRatio: median(perRound.map((r) => r.thrRatio)),
    };
  });
}

const COLUMNS: readonly Column[] = [
  { title: "tunnel", align: "left" },
  { title: "rounds" },
  { title: "load rtt med/p95 ms" },
  { title: "late %" },
  { title: "lost %" },
  { title: "queue c->s p50/p95 ms" },
  { title: "up/down Mbit/s" },
  { title: "vs best udp: rtt, thr" },
];

const fixed = (value: number, digits = 1) => Number.isFinite(value) ? value.toFixed(digits) : "-";

/** The summary as a table, then one line per round and row. */
export function formatRounds(samples: readonly RoundSample[]): string {
  const rows = summarizeRounds(samples).map((s) => [
    s.label,
    String(s.rounds),
    `${fixed(s.medianMs)} / ${fixed(s.p95Ms)}`,
    fixed(s.latePercent),
    fixed(s.lostPercent),
    `${fixed(s.queueP50Ms)} / ${fixed(s.queueP95Ms)}`,
    `${fixed(s.upMbit)} / ${fixed(s.downMbit)}`,
    `${fixed(s.rttRatio, 2)}x, ${fixed(100 * s.throughputRatio, 0)} %`,
  ]);
  const lines = samples.map((s) =>
    s.status === "ok"
      ? `round ${s.round} ${s.label}: load rtt ${fixed(percentile(s.loadedMs, 50))} / ` +
        `${fixed(percentile(s.loadedMs, 95))} ms (${s.loadedMs.length}/${s.loadedSent}), ` +
        `idle ${fixed(s.idleMs)} ms, queue ${fixed(s.queueP50Ms)} / ${fixed(s.queueP95Ms)} ms, ` +
        `${fixed(s.upBps / 1e6)} / ${fixed(s.downBps / 1e6)} Mbit/s`
      : `round ${s.round} ${s.label}: failed: ${s.note ?? "?"}`
  );
  return [formatColumns(COLUMNS, rows), "", ...lines].join("\n");
}

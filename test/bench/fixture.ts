// A fixed results file, as a run would write it: two payloads, raw TCP, two Ferry systems, a
// peer and a skipped peer, a partitions sweep and a backlog.
import { SystemId } from "../../bench/catalog.js";
import type { BenchResults, CellResult } from "../../bench/results.js";

export function cell(system: SystemId, inFlight: number, payloadBytes: number, callsPerSecond: number, extra: Partial<CellResult> = {}): CellResult {
  return {
    system,
    inFlight,
    payloadBytes,
    partitions: null,
    status: "ok",
    calls: callsPerSecond * 5,
    errors: 0,
    seconds: 5,
    callsPerSecond,
    latencyUs: { count: callsPerSecond * 5, p50: 1000, p90: 2000, p99: 5100, p999: 9000, max: 12000, mean: 1200 },
    cpuUsPerCall: 27.4,
    processes: {
      client: { cpuMs: 2000, peakRssMiB: 80.4 },
      server: { cpuMs: 1500, peakRssMiB: 70 },
      ...(system === SystemId.RawTcp || system === SystemId.FerryInProcess ? {} : { broker: { cpuMs: 1800, peakRssMiB: 61.6 } }),
    },
    otherCpuPercent: inFlight === 1 ? 10 : 30,
    ...extra,
  };
}

const skipped = (inFlight: number, payloadBytes: number): CellResult => ({
  ...cell(SystemId.RabbitMq, inFlight, payloadBytes, 0),
  status: "skipped",
  reason: "RabbitMQ is not reachable at 127.0.0.1:5672",
  processes: {},
});

export const fixtureResults: BenchResults = {
  version: 1,
  started: "2026-11-24T10:00:00.000Z",
  finished: "2026-11-24T10:12:00.000Z",
  durationSeconds: 720,
  machine: {
    cpuModel: "AMD EPYC",
    cores: 2,
    memoryGiB: 24,
    os: "Linux 6.1",
    node: "v20.20.2",
    natsServer: "v2.9.10",
    rabbitmq: null,
    packages: { nats: "2.29.3", amqplib: "0.10.9", moleculer: "0.14.36", msgpackr: "2.1.3" },
  },
  options: { quick: false, seconds: 5, warmupSeconds: 1 },
  cells: [
    cell(SystemId.RawTcp, 1, 100, 10_000),
    cell(SystemId.RawTcp, 64, 100, 200_000),
    cell(SystemId.RawTcp, 1, 16384, 8_000),
    cell(SystemId.RawTcp, 64, 16384, 40_000),
    cell(SystemId.FerryInProcess, 1, 100, 100_000),
    cell(SystemId.FerryInProcess, 64, 100, 120_000),
    cell(SystemId.FerryInProcess, 1, 16384, 30_000),
    cell(SystemId.FerryInProcess, 64, 16384, 20_000),
    cell(SystemId.FerryTcp, 1, 100, 4_000),
    cell(SystemId.FerryTcp, 64, 100, 50_000),
    cell(SystemId.FerryTcp, 1, 16384, 2_000),
    cell(SystemId.FerryTcp, 64, 16384, 10_000),
    cell(SystemId.NatsInbox, 1, 100, 4_200),
    cell(SystemId.NatsInbox, 64, 100, 80_000),
    cell(SystemId.NatsInbox, 1, 16384, 3_000),
    cell(SystemId.NatsInbox, 64, 16384, 12_000),
    skipped(1, 100),
    skipped(64, 100),
    skipped(1, 16384),
    skipped(64, 16384),
    cell(SystemId.FerryTcp, 64, 100, 30_000, { partitions: 1 }),
    cell(SystemId.FerryTcp, 64, 100, 50_000, { partitions: 8 }),
    cell(SystemId.FerryTcp, 64, 100, 45_000, { partitions: 64 }),
  ],
  backlog: {
    status: "ok",
    messages: 1_000_000,
    payloadBytes: 100,
    publishSeconds: 25,
    drainSeconds: 20,
    brokerRssMiB: { idle: 54, full: 530, peak: 700, drained: 690 },
    bytesPerMessage: 499,
    clientPeakRssMiB: 900,
    serverPeakRssMiB: 120,
    samples: [
      { ms: 250, phase: "publish", depth: 0, brokerRssMiB: 59 },
      { ms: 25_000, phase: "full", depth: 1_000_000, brokerRssMiB: 530 },
      { ms: 46_000, phase: "drained", depth: 0, brokerRssMiB: 690 },
    ],
  },
};

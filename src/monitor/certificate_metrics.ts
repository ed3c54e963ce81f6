/**
 * The certificate set's metrics: when each certificate and the CRL end, when the CRL was issued,
 * its fetches and when the set was loaded. Filled from the monitor's source at each scrape.
 *
 * @module
 */

import type { Counter, Gauge } from "prom-client";
import type { CountersSnapshot } from "../counters/registry.ts";
import type { MonitorSource } from "./source.ts";

/** How metrics.ts makes a metric: its collect() fills it from the scrape's snapshot. */
export interface MetricMakers {
  gauge<L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    collect: (metric: Gauge<L>, snapshot: CountersSnapshot) => void,
  ): Gauge<L>;
  counter<L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    collect: (metric: Counter<L>, snapshot: CountersSnapshot) => void,
  ): Counter<L>;
}

/** Adds the certificate set's metrics. */
export function addCertificateMetrics(
  { gauge, counter }: MetricMakers,
  source: Pick<MonitorSource, "certificates">,
): void {
  // Label names stay clear of what a scrape configuration adds to every series (job,
  // instance, and the shipped prometheus.yml's `role`): a clash would rename ours to
  // exported_*. A unit test holds every label here against that list.
  gauge(
    "sssonector_certificate_expiry_timestamp_seconds",
    "When this side's certificate (certificate own) and each CA certificate (certificate " +
      "ca) expire, as a Unix time.",
    ["certificate", "subject", "serial"],
    (m) => {
      const state = source.certificates();
      const own = state.certificate;
      m.set(
        { certificate: "own", subject: own.subject, serial: own.serialHex },
        own.notAfter.getTime() / 1000,
      );
      for (const ca of state.authorities) {
        m.set(
          { certificate: "ca", subject: ca.subject, serial: ca.serialHex },
          ca.notAfter.getTime() / 1000,
        );
      }
    },
  );
  // Labelled by the CRL's issuer so that, without a crl_file, there is no series at all (an
  // unlabelled gauge would read 0, and "due" alerts would fire on every host without a CRL).
  gauge(
    "sssonector_crl_next_update_timestamp_seconds",
    "When the configured revocation list must be refreshed (its nextUpdate), as a Unix time; " +
      "absent without security.tls.crl_file.",
    ["issuer"],
    (m) => {
      const revocation = source.certificates().revocation;
      if (revocation !== undefined) {
        m.set({ issuer: revocation.issuer }, revocation.nextUpdate.getTime() / 1000);
      }
    },
  );
  gauge(
    "sssonector_crl_this_update_timestamp_seconds",
    "When the revocation list in use was issued (its thisUpdate), as a Unix time: its age is " +
      "time() minus this.",
    [],
    (m) => {
      const revocation = source.certificates().revocation;
      if (revocation !== undefined) m.set(revocation.thisUpdate.getTime() / 1000);
    },
  );
  counter(
    "sssonector_crl_fetches_total",
    "Fetches of the revocation list from security.tls.crl_urls by result: ok (a round ended " +
      "with a good list in use), failed (one URL failed; the last good list stays), applied " +
      "(a newer list replaced it).",
    ["result"],
    (m, s) => {
      for (const [result, count] of Object.entries(s.process.crl)) m.inc({ result }, count);
    },
  );
  gauge(
    "sssonector_certificates_loaded_timestamp_seconds",
    "When the certificate set in use was loaded (at start or by the last SIGHUP that changed " +
      "it), as a Unix time.",
    [],
    (m) => m.set(source.certificates().loadedAt.getTime() / 1000),
  );
}

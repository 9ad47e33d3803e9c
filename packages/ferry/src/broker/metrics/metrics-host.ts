/** Address the broker's metrics endpoint listens on unless told otherwise: metrics name topics and groups, so they stay on the machine unless asked. */
export const defaultMetricsHost = "127.0.0.1";

/*
 * Where `ferry broker` listens and where clients look for it unless told otherwise. A module of
 * its own, with no imports, so the CLI can show these defaults without loading the broker.
 */

/** The TCP broker's port, and the port of a `ferry://` URL that names none. */
export const defaultBrokerPort = 7400;

/**
 * The address the TCP broker listens on: loopback, so that a broker started without a `token`
 * is not reachable from other machines. Any other address requires a token.
 */
export const defaultBrokerHost = "127.0.0.1";

/** The broker `ferry stats` asks when given no `--url` (nor `FERRY_URL`). */
export const defaultBrokerUrl = `ferry://${defaultBrokerHost}:${defaultBrokerPort}`;

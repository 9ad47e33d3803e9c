/** One line of usage per subcommand, shared by `ferry --help` and each command's own errors. */
export const usageLines = {
  codegen: "ferry codegen <files|globs...> --out <dir> [--check] [--watch] [--runtime-import <specifier>]",
  broker: "ferry broker [--port 7400] [--host 127.0.0.1] [--data <dir>] [--fsync always|interval|never] [--token <t>] [--tls-cert <pem> --tls-key <pem>]",
  stats: "ferry stats [--url ferry://127.0.0.1:7400] [--token <t>] [--json]",
} as const;

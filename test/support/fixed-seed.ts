// Loaded by mocha before every test file (.mocharc.json "require"): property tests draw from a
// fixed seed, so every run (and CI) checks the same values, and a failure reproduces exactly.
import fc from "fast-check";

fc.configureGlobal({ seed: 20261123 });

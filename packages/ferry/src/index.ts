// `ferry`: the core runtime and `connect`.
export * from "./core/index.js";
export { connect, type ConnectOptions } from "./connect.js";

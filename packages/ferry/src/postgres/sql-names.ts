import { nameOption } from "../core/store-options.js";

/** A PostgreSQL identifier Ferry creates: lower case, so it needs no quoting rules of its own. */
const identifier = /^[a-z_][a-z0-9_]{0,62}$/;
const identifierRule = "a lower-case SQL identifier (a-z, 0-9, _; at most 63 characters, not starting with a digit)";

/** The table a store or outbox uses, as a qualified, quoted SQL name, with the plain names it is built from. */
export interface TableName {
  /** `"schema"."table"`, or `"table"` (on the search path) when no schema is given. */
  sql: string;
  table: string;
  schema: string | undefined;
}

/** Checks the `schema` and `table` options of `owner` and quotes them. */
export function tableName(owner: string, schema: unknown, table: unknown, defaultTable: string): TableName {
  const tableValue = nameOption(owner, "table", table, defaultTable, identifier, identifierRule);
  const schemaValue = schema === undefined ? undefined : nameOption(owner, "schema", schema, "", identifier, identifierRule);
  return { sql: schemaValue === undefined ? `"${tableValue}"` : `"${schemaValue}"."${tableValue}"`, table: tableValue, schema: schemaValue };
}

/** A NOTIFY channel of a table: one per table and schema, lower case, at most 63 characters. */
export function channelName(name: TableName, suffix: string): string {
  return `${name.schema === undefined ? "" : `${name.schema}_`}${name.table}_${suffix}`.slice(0, 63);
}

/** Whether `error` says a `CREATE ... IF NOT EXISTS` lost a race with another process creating the same thing. */
export function lostCreateRace(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  return code === "23505" || code === "42P07" || code === "42710";
}

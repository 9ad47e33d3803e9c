import type { DocModel } from "./model.js";

/** A tag as written, with the offset of its `@` in the source file (for diagnostics). */
export interface ParsedTag {
  readonly name: string;
  readonly text: string;
  readonly offset: number;
}

export interface ParsedDoc {
  readonly doc: DocModel;
  readonly tags: readonly ParsedTag[];
}

export const emptyDoc: DocModel = { description: "", tags: [] };

/**
 * Parses one `/** ... *\/` comment. TypeScript's own JSDoc parser only starts a tag at the
 * beginning of a line, but `/** @key orderId @idempotent *\/` is the natural way to write
 * several short tags, so a tag starts at any `@` that follows whitespace.
 */
export function parseJsDoc(comment: string, start: number): ParsedDoc {
  // Blank out the comment markers and leading asterisks in place, so offsets stay exact.
  const chars = comment.split("");
  const blank = (from: number, to: number): void => {
    for (let i = from; i < to; i++) if (chars[i] !== "\n") chars[i] = " ";
  };
  blank(0, 3);
  blank(comment.length - 2, comment.length);
  const lineStart = /(^|\n)[ \t]*\*(?!\/)/g;
  for (let match = lineStart.exec(comment); match !== null; match = lineStart.exec(comment)) {
    if (match.index === 0 && match[1] === "") continue; // the opening `/**`, already blanked
    blank(match.index + match[1]!.length, lineStart.lastIndex);
  }
  const body = chars.join("");

  const tagStart = /(^|\s)@([A-Za-z][\w-]*)/g;
  const starts: { name: string; at: number; textFrom: number }[] = [];
  for (let match = tagStart.exec(body); match !== null; match = tagStart.exec(body)) {
    starts.push({ name: match[2]!, at: match.index + match[1]!.length, textFrom: tagStart.lastIndex });
  }
  const description = normalize(body.slice(0, starts[0]?.at ?? body.length));
  const tags = starts.map((tag, index) => ({
    name: tag.name,
    text: normalize(body.slice(tag.textFrom, starts[index + 1]?.at ?? body.length)),
    offset: start + tag.at,
  }));
  return { doc: { description, tags: tags.map(({ name, text }) => ({ name, text })) }, tags };
}

/** Trims each line and the whole, keeping paragraph breaks but not the comment's indentation. */
function normalize(text: string): string {
  const lines = text.split("\n").map((line) => line.trim());
  while (lines.length > 0 && lines[0] === "") lines.shift();
  while (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  return lines.join("\n").replace(/\n{3,}/g, "\n\n");
}

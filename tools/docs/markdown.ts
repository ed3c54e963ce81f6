/**
 * Markdown pieces of the generated reference: tables laid out as `deno fmt` lays them out (so a
 * generated page passes `deno fmt --check` as written), and the marked blocks of a hand-written
 * page that the generator owns.
 *
 * @module
 */

/** A table with every column padded to its widest cell, as `deno fmt` writes it. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const cells = rows.map((row) => row.map(escapeCell));
  const widths = headers.map((header, column) =>
    Math.max(3, header.length, ...cells.map((row) => (row[column] ?? "").length))
  );
  const line = (cells: readonly string[]) =>
    `| ${widths.map((width, column) => (cells[column] ?? "").padEnd(width)).join(" | ")} |`;
  return [
    line(headers),
    `| ${widths.map((width) => "-".repeat(width)).join(" | ")} |`,
    ...cells.map(line),
  ].join("\n");
}

function escapeCell(cell: string): string {
  return cell.replaceAll("|", "\\|").replaceAll("\n", " ");
}

const BEGIN = (name: string) =>
  `<!-- BEGIN GENERATED ${name}: deno run -A tools/docs/main.ts writes this block -->`;
const END = (name: string) => `<!-- END GENERATED ${name} -->`;

/** The text between the markers of block `name` in `page`, or undefined without the markers. */
export function readBlock(page: string, name: string): string | undefined {
  const start = page.indexOf(BEGIN(name));
  const end = page.indexOf(END(name));
  if (start < 0 || end < start) return undefined;
  return page.slice(start + BEGIN(name).length, end).trim();
}

/**
 * `page` with the block `name` replaced by `content`.
 *
 * @throws {Error} when the page lacks the block's markers.
 */
export function writeBlock(page: string, name: string, content: string): string {
  const start = page.indexOf(BEGIN(name));
  const end = page.indexOf(END(name));
  if (start < 0 || end < start) {
    throw new Error(`the page has no block ${name}: add the lines\n${BEGIN(name)}\n${END(name)}`);
  }
  return `${page.slice(0, start)}${BEGIN(name)}\n\n${content}\n\n${page.slice(end)}`;
}

/** Where a benchmark run's JSON goes. */

/** `bench-YYYYMMDD-HHMMSS.json` for the moment `date`, in UTC. */
export function resultFileName(date: Date): string {
  if (Number.isNaN(date.getTime())) throw new RangeError(`Date must be valid: "${date}"`);
  const two = (n: number) => String(n).padStart(2, "0");
  const day = `${date.getUTCFullYear()}${two(date.getUTCMonth() + 1)}${two(date.getUTCDate())}`;
  const time = `${two(date.getUTCHours())}${two(date.getUTCMinutes())}${two(date.getUTCSeconds())}`;
  return `bench-${day}-${time}.json`;
}

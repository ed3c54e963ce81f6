import denoJson from "../deno.json" with { type: "json" };

/** The release version, from deno.json. */
export const VERSION: string = denoJson.version;

import assert from "node:assert/strict";
import { FOOTPRINT_LAYERS, formatFootprint } from "../../tools/bench/footprint.ts";

const probe = (privateMiB: number) => ({
  rssKiB: (privateMiB + 30) * 1024,
  pssKiB: (privateMiB + 5) * 1024,
  privateKiB: privateMiB * 1024,
  heapUsedKiB: 2048,
  heapTotalKiB: 4096,
  externalKiB: 512,
});

Deno.test("FOOTPRINT_LAYERS each add to an earlier layer, and keep its modules", () => {
  for (const [i, layer] of FOOTPRINT_LAYERS.entries()) {
    if (layer.base === undefined) continue;
    assert.ok(layer.base < i, layer.label);
    const base = FOOTPRINT_LAYERS[layer.base]!;
    for (const module of base.modules) assert.ok(layer.modules.includes(module), layer.label);
  }
  // The tunnel's npm layer leaves prom-client to the monitor, which only loads when enabled.
  const npm = FOOTPRINT_LAYERS.find((layer) => layer.label.includes("npm"))!;
  assert.ok(!npm.modules.includes("prom-client"));
});

Deno.test("formatFootprint() shows each layer and what it added to its base", () => {
  const layers = [
    { label: "deno", modules: [] },
    { label: "+ node", modules: ["node:tls"], base: 0 },
    { label: "+ other", modules: ["x"], base: 0 },
  ];
  const text = formatFootprint([
    { layer: layers[0]!, result: probe(10) },
    { layer: layers[1]!, result: probe(14.5) },
    { layer: layers[2]!, result: probe(9) },
  ]);
  assert.match(text, /^deno +40\.0 +15\.0 +10\.0 +2\.0\/4\.0 +0\.5$/m);
  assert.match(text, /^\+ node +44\.5 +19\.5 +14\.5 +\+4\.5 /m);
  assert.match(text, /^\+ other +39\.0 +14\.0 +9\.0 +-1\.0 /m);
});

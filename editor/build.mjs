// Bundles the editor into the Python package, with the licences of every package it bundles.
import { build } from "esbuild";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const out = "../defenders_kg/web/editor";
const result = await build({
  entryPoints: ["src/editor.js"],
  bundle: true,
  minify: true,
  format: "iife",
  target: "es2020",
  outfile: `${out}/editor.js`,
  metafile: true,
});

// The package folder of each bundled file: node_modules/NAME or node_modules/@SCOPE/NAME.
const packages = new Set();
for (const input of Object.keys(result.metafile.inputs)) {
  const match = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
  if (match) packages.add(match[1]);
}
const notices = [...packages].sort().map((folder) => {
  const manifest = JSON.parse(readFileSync(join(folder, "package.json"), "utf8"));
  const licence = readdirSync(folder).find((name) => /^licen[cs]e/i.test(name));
  const text = licence ? readFileSync(join(folder, licence), "utf8").trim() : `License: ${manifest.license}`;
  return `${manifest.name} ${manifest.version}\n\n${text}\n`;
});
writeFileSync(`${out}/LICENSES.txt`, notices.join("\n" + "-".repeat(72) + "\n\n"));

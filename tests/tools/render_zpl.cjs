// Render ZPL files to PNG with zpl-renderer-js (IngridHQ's zebrash compiled to WebAssembly, run
// here in Node: no web service sees the label). An independent reading of the ZPL we send.
// Usage: node render_zpl.cjs WIDTH_MM HEIGHT_MM DOTS_PER_MM FILE.zpl...  (writes FILE.zpl.png)
const fs = require("node:fs");
const path = require("node:path");
const { ready } = require(path.join(__dirname, "..", "..", "node_modules", "zpl-renderer-js"));

(async () => {
  const [width, height, dpmm, ...files] = process.argv.slice(2);
  const { api } = await ready;
  for (const file of files) {
    const png = await api.zplToBase64Async(fs.readFileSync(file, "utf8"), Number(width),
                                           Number(height), Number(dpmm));
    fs.writeFileSync(file + ".png", Buffer.from(png, "base64"));
  }
  process.exit(0);
})().catch((error) => { console.error(error); process.exit(1); });

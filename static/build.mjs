// Builds static/dist/: one stylesheet per council compiled by Sass from its theme (themes/<slug>/theme.toml's
// [brand] colours and an optional brand.scss), the portal's own stylesheet, the councils' wordmarks and the
// vendored scripts. `npm run build` runs it (the container image's Node stage) and so does
// `flask assets build` (`make run`, `make test`): one build, whichever tool starts it.
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import * as sass from "sass";
import { parse } from "smol-toml";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const THEMES = process.env.PORTAL_THEMES_DIR ? resolve(process.env.PORTAL_THEMES_DIR) : join(ROOT, "themes");
// PORTAL_DIST_DIR builds somewhere else (a test's own copy of static/); the Sass entries go beside it.
const DIST = process.env.PORTAL_DIST_DIR ? resolve(process.env.PORTAL_DIST_DIR) : join(ROOT, "static", "dist");
const ENTRIES = process.env.PORTAL_DIST_DIR ? join(DIST, "..", "sass-entries") : join(ROOT, "build", "sass");
// The brand of pages that belong to no council (the list of councils, an unknown address).
const PORTAL_BRAND = { primary: "#2b3a42", link: "#1a5276" };
const VENDORED = {
  "node_modules/htmx.org/dist/htmx.min.js": "htmx.min.js",
  "node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js": "govuk-frontend.min.js",
  "static/src/portal.mjs": "portal.mjs",
  "node_modules/leaflet/dist/leaflet.js": "leaflet.js",
  "node_modules/leaflet/dist/leaflet.css": "leaflet.css",
  "static/src/map.mjs": "map.mjs",
};

function entry(brand, brandScss) {
  // An absolute file: URL, so a themes folder anywhere (PORTAL_THEMES_DIR outside the checkout) is found as
  // itself rather than through a path relative to the entry or the checkout.
  const extra = brandScss ? `@use "${pathToFileURL(brandScss).href.replace(/\.scss$/, "")}";\n` : "";
  return (
    "// Written by static/build.mjs from a theme.toml: do not edit.\n" +
    `@use "static/src/portal" with ($brand-colour: ${brand.primary}, $link-colour: ${brand.link});\n` +
    extra
  );
}

function compile(name, source) {
  const file = join(ENTRIES, `${name}.scss`);
  writeFileSync(file, source);
  const { css } = sass.compile(file, { style: "compressed", loadPaths: [ROOT], quietDeps: true });
  writeFileSync(join(DIST, `${name}.css`), `${css}\n`);
}

mkdirSync(ENTRIES, { recursive: true });
mkdirSync(join(DIST, "wordmarks"), { recursive: true });
compile("portal", entry(PORTAL_BRAND));
let stylesheets = 1;
for (const slug of readdirSync(THEMES).sort()) {
  const directory = join(THEMES, slug);
  const themeFile = join(directory, "theme.toml");
  if (!existsSync(themeFile)) continue;
  const { brand } = parse(readFileSync(themeFile, "utf8"));
  if (!brand?.primary || !brand?.link) throw new Error(`${themeFile}: [brand] needs primary and link`);
  const brandScss = join(directory, "brand.scss");
  compile(slug, entry(brand, existsSync(brandScss) ? brandScss : null));
  copyFileSync(join(directory, "wordmark.svg"), join(DIST, "wordmarks", `${slug}.svg`));
  stylesheets += 1;
}
for (const [source, name] of Object.entries(VENDORED)) copyFileSync(join(ROOT, source), join(DIST, name));
console.log(`Built ${stylesheets} stylesheets and ${Object.keys(VENDORED).length} scripts into ${DIST}`);

/** `npm run gen`: rewrites shared/src/generated/scripts.ts from the .lua sources. */
import { writeFileSync } from "node:fs";
import { compileScripts, GENERATED_FILE, renderModule } from "./lua-scripts";

const scripts = compileScripts();
writeFileSync(GENERATED_FILE, renderModule(scripts));
console.log(`generated ${scripts.length} scripts into ${GENERATED_FILE}`);

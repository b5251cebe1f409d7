/* Copies the contributor docs of the library repo into the site's content folder. */
import { readdir } from "fs/promises";
import path from "path";
import { copyDirectory, getFilepathsWithinDir, repoRootPath } from "../utils.ts";

export const buildContributorDocs = async (docsDir: string, outDir: string) => {
  const entries = await readdir(docsDir, { withFileTypes: true });
  const copied: string[] = [];
  for (const entry of entries) {
    for (const file of await getFilepathsWithinDir(entry)) {
      if (!file.endsWith(".md")) continue;
      const target = path.join(outDir, path.relative(docsDir, path.dirname(file)));
      await copyDirectory(path.dirname(file), target);
      copied.push(path.relative(docsDir, file));
    }
  }
  return copied.sort();
};

if (import.meta.url === `file://${process.argv[1]}`) {
  const [docsDir, outDir] = process.argv.slice(2);
  const copied = await buildContributorDocs(
    docsDir ?? path.join(repoRootPath, "in/p5.js/contributor_docs"),
    outDir ?? path.join(repoRootPath, "src/content/contributor-docs"),
  );
  console.log(`copied ${copied.length} docs`);
}

import fs, { cp, readdir } from "fs/promises";
import path from "path";
import type { CopyOptions, Dirent } from "fs";
import { fileURLToPath } from "url";

/* Absolute path to the root of this project repo */
export const repoRootPath = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  "../../",
);

/**
 * Copies a directory tree, skipping dotfiles
 * @param src directory to copy
 * @param dest where to copy it to (created if needed)
 */
export const copyDirectory = async (src: string, dest: string) => {
  const options: CopyOptions = {
    recursive: true,
    filter: (source: string) => !path.basename(source).startsWith("."),
  };
  await cp(src, dest, options);
};

/* Some names contain characters that need to be sanitized for pathing, MDX, etc. */
export const sanitizeName = (name: string) =>
  name.replace(/</g, "&lt;").replace(/>/g, "&gt;");

/**
 * Returns the full path for a
 * [Dirent object](https://nodejs.org/api/fs.html#class-fsdirent)
 *
 * @param dirent
 * @returns full path to the entry
 */
export const fullPathFromDirent = (dirent: Dirent): string =>
  path.join(dirent.path, dirent.name);

/**
 * Returns the absolute path of the files within a directory
 * *Note: Does not recurse into subfolders!*
 *
 * If the given directory is actually a file, just returns
 * that filepath in an array
 *
 * @param dir [Dirent object](https://nodejs.org/api/fs.html#class-fsdirent)
 * @returns full path to the entry
 */
export const getFilepathsWithinDir = async (
  dir: Dirent,
): Promise<Array<string>> => {
  const dirAbsolutePath = fullPathFromDirent(dir);
  return dir.isFile()
    ? // a single file: a list of one
      [dirAbsolutePath]
    : // readdir returns names relative to the directory
      (await readdir(dirAbsolutePath)).map((p) =>
        path.join(dir.path, dir.name, p),
      );
};

/**
 * Get all the .yaml and .mdx files in a directory and its subdirectories
 * @param baseDir Base directory to start searching for content files
 * @returns the .yaml and .mdx paths in the directory and its subdirectories
 */
export const getContentFilePaths = async (baseDir: string) => {
  const files = await fs.readdir(baseDir, { withFileTypes: true });
  let contentFilePaths: string[] = [];
  for (const file of files) {
    if (file.isDirectory()) {
      contentFilePaths = contentFilePaths.concat(
        await getContentFilePaths(path.join(baseDir, file.name)),
      );
    } else if (file.name.endsWith(".mdx") || file.name.endsWith(".yaml")) {
      contentFilePaths.push(path.join(baseDir, file.name));
    }
  }
  return contentFilePaths;
};

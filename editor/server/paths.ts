import { dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The file path of a `file:` URI; null for other schemes (an unsaved editor tab). */
export function uriPath(uri: string): string | null {
  return uri.startsWith('file:') ? fileURLToPath(uri) : null;
}

export function pathUri(path: string): string {
  return pathToFileURL(path).href;
}

/** The version folder a definition's document is in; null when it is not a file on disk. */
export function versionFolder(uri: string): string | null {
  const path = uriPath(uri);
  return path === null ? null : dirname(path);
}

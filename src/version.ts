/** The version of the maskpack package, read from its `package.json` (two folders above the built module). */
import { readFileSync } from 'node:fs';

export const MASKPACK_VERSION: string = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

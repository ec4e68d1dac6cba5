/** The web console: server-rendered pages at /console over the API's auth and read rules. The only entry other folders import. */
export { registerConsole } from './console.js';
export type { ConsoleDeps } from './deps.js';

// What the global setup of the integration and chaos projects (global-setup.ts) hands to every
// test file through vitest's provide/inject. Read it through environment.ts rather than calling
// inject directly.
declare module 'vitest' {
  export interface ProvidedContext {
    /** `redis://` seed URLs of the grid under test. */
    gridSeeds: string[];
    /** Folder of the local cluster the setup started (for fault injection); null for an external grid. */
    gridDir: string | null;
    /** MariaDB server URL without a database, e.g. `mariadb://root@127.0.0.1:3306`. */
    mariadbUrl: string;
  }
}

export {};

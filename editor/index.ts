/**
 * Editor support: the journey language server (completion, diagnostics as you type, hover,
 * go-to-schema) that `journey lsp` runs over stdio. The VS Code extension in editor/vscode/ starts
 * it; it has its own package.json and is not part of this build.
 */
export { DIAGNOSTICS_DEBOUNCE_MS, startLanguageServer } from './server/server.js';
export type { LanguageServerOptions, RunningLanguageServer } from './server/server.js';

// The formatter (`npm run format`, checked by `npm run format:check`). The settings follow the
// code as it was written before the formatter came: 2 spaces, single quotes, semicolons,
// trailing commas, and long lines — 160 columns keeps most of them as they are and wraps the
// ones that ran past 200. Strings and template literals are never broken, so a few stay longer.
/** @type {import('prettier').Config} */
export default {
  printWidth: 160,
  tabWidth: 2,
  semi: true,
  singleQuote: true,
  trailingComma: 'all',
  arrowParens: 'always',
  endOfLine: 'lf',
  overrides: [
    // docker-compose.yml and the like quote with double quotes, as YAML usually does.
    { files: ['*.yml', '*.yaml'], options: { singleQuote: false } },
  ],
};

// Lint with type information; rules follow docs/STYLE.md: no floating promises,
// type-only imports, no console outside the CLI, no deep imports across top-level folders.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const topLevelFolders = ['common', 'engine', 'dsl', 'grid', 'cache-store', 'api', 'client', 'console', 'editor', 'cli'];

/** Each top-level folder is imported only through its index.ts. */
const noDeepImports = topLevelFolders.map((folder) => ({
  files: [`${folder}/**/*.ts`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: topLevelFolders
          .filter((other) => other !== folder)
          .map((other) => ({
            regex: `^(\\.\\./)+${other}/(?!index\\.js$).+`,
            message: `Import ${other}/ only through its public entry ${other}/index.js`,
          })),
      },
    ],
  },
}));

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.data/**', 'bench/restate/**', '**/generated/**', 'dsl/grammar/*.js', 'bin/**', 'editor/vscode/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
    },
  },
  ...noDeepImports,
  {
    files: ['cli/**/*.ts', 'bench/**/*.ts', 'scripts/**', 'test/**/*.ts'],
    rules: { 'no-console': 'off' },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
);

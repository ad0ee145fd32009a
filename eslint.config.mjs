// `npm run lint`: rules that catch bugs, not style. Formatting is Prettier's job (`npm run format`), so
// no layout rule is on here (test/unit/lint.test.ts checks that). Type-aware rules run on src/ only,
// where they find real mistakes (a promise nobody awaits or catches, an `await` on something that is
// not a promise, a switch that misses a new member of a union); tests, benchmarks and scripts get the
// syntactic sets. A whole run takes about 25 s of CPU.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  {
    ignores: ['node_modules/', 'dist/', 'media/dist/', '.vscode-test/', '.cache/', 'test-results/', 'test/fixtures/', 'samples/'],
  },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2023, sourceType: 'module', globals: { ...globals.node } },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      // tsc reports unused parameters already (tsconfig noUnusedParameters); `_name` marks a variable kept on purpose.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { args: 'none', varsIgnorePattern: '^_', caughtErrors: 'none', ignoreRestSiblings: true },
      ],
      // `any` appears only at the edges (JSON from servers, untyped VS Code APIs) and is narrowed right after.
      '@typescript-eslint/no-explicit-any': 'off',
      // An empty catch is a deliberate best-effort clean-up; an empty function is a valid no-op callback.
      'no-empty': ['error', { allowEmptyCatch: true }],
      '@typescript-eslint/no-empty-function': 'off',
      // The terminal-text stripper and the parsers match control characters on purpose.
      'no-control-regex': 'off',
      // A `let` declared before a closure that reads it and assigned once after is not a const.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
      // Style, not bugs: the panel records which view holds a shared highlight as `owner = this`.
      '@typescript-eslint/no-this-alias': 'off',
    },
  },
  {
    // Type-aware bug rules on the shipped code.
    files: ['src/**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': ['error', { ignoreVoid: true }],
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true, allowNullish: true }],
      // src/ never prints to the console: the extension logs to its output channel, the CLI writes to its streams.
      'no-console': 'error',
    },
  },
  {
    files: ['src/webview/**/*.ts'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    // Playwright checks pass functions to page.evaluate(), which run in the browser.
    files: ['test/integration/*.mjs', 'bench/**/*.mjs'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    // The probe is a plain CommonJS extension, as VS Code loads one (test/integration/probe).
    files: ['test/integration/probe/*.js'],
    languageOptions: { sourceType: 'commonjs', globals: { ...globals.node } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);

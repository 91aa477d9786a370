// @ts-check
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import { REQUIRED } from './scripts/build.js';

const RESTRICTED = [
  {
    selector: "ImportDeclaration[source.value='zod'] > ImportSpecifier[imported.name='z']",
    message: "Write `import * as z from 'zod'`: the `z` object keeps all of zod's 50 message languages in the bundle (550 kB loaded on every start).",
  },
  {
    selector: "CallExpression[callee.property.name='toLocaleString']",
    message: 'Use thousands() from src/core/text.ts: the first toLocaleString loads ICU number formatting (~30 ms).',
  },
];

export default tseslint.config(
  { ignores: ['dist/', 'dist.*/', 'node_modules/', 'coverage/', 'var/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: globals.node,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'error',
      'no-restricted-syntax': ['error', ...RESTRICTED],
    },
  },
  {
    // What the build bundles (scripts and tests run under tsx).
    files: ['src/**'],
    rules: {
      'no-restricted-syntax': [
        'error',
        ...RESTRICTED,
        {
          selector: `ImportExpression[source.value=/^(${REQUIRED.map((name) => name.replace(/[./]/g, '\\$&')).join('|')})$/]`,
          message:
            'The build loads this package with require (scripts/build.js, REQUIRED): import() of it gives only a default export. Import it statically in a module that is itself loaded with import().',
        },
      ],
    },
  },
  {
    // The CLI's own output is the one place that writes to the console.
    files: ['src/cli.ts', 'scripts/**', 'bin/**'],
    rules: { 'no-console': 'off' },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
  },
);

// ESLint (flat config): the recommended rules of ESLint and typescript-eslint
// over the TypeScript sources, tests and scripts. `npm test` runs it
// (`npm run lint`); generated code and build output are left out.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'proto/generated/**', 'sdk/**', 'examples/**', 'bench/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'module',
      globals: globals.node,
    },
  },
  {
    files: ['test/**'],
    // Tests drive untyped dynamic gRPC clients and read JSON bodies: `any` is the norm there.
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
);

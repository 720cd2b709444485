// Lint for the whole workspace. Beside typescript-eslint's recommended rules it enforces the
// dependency direction of DEVELOPERS.md: protocol imports no sibling; firmware-sim, provisioner
// and backend import protocol and never each other (the station must not ship the simulator).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const siblings = ['protocol', 'firmware-sim', 'provisioner', 'backend'];

/** Forbid importing the given sibling packages, by package name or by a relative path. */
function forbid(pkg, others) {
  return {
    files: [`${pkg}/**/*.ts`],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: others.flatMap((o) => [
          { group: [`@fobkit/${o}`, `@fobkit/${o}/*`], message: `${pkg} must not import ${o} (see DEVELOPERS.md, dependency direction).` },
          { group: [`**/${o}/src/**`, `**/${o}/dist/**`, `../${o}`, `../../${o}`], message: `${pkg} must not import ${o} by path.` },
        ]),
      }],
    },
  };
}

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'coverage/**', '.fobkit-tmp/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', setImmediate: 'readonly', URL: 'readonly', AbortController: 'readonly', AbortSignal: 'readonly', TextEncoder: 'readonly', TextDecoder: 'readonly', fetch: 'readonly', performance: 'readonly', queueMicrotask: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' }],
      'no-restricted-syntax': ['error', { selector: 'ExportDefaultDeclaration', message: 'Named exports only (STYLE.md rule 4).' }],
    },
  },
  forbid('protocol', siblings.filter((s) => s !== 'protocol')),
  forbid('firmware-sim', ['provisioner', 'backend']),
  forbid('provisioner', ['firmware-sim', 'backend']),
  forbid('backend', ['firmware-sim', 'provisioner']),
  { files: ['**/*.config.ts', 'eslint.config.js'], rules: { 'no-restricted-syntax': 'off' } },
);

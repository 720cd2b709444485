import { defineConfig } from 'tsup';

// The CLI entry gets a shebang so the `bin` runs directly; the library entry is what tests and
// other tools import.
export default defineConfig({
  entry: ['src/index.ts', 'src/cli/main.ts'],
  format: ['esm'],
  dts: { entry: 'src/index.ts' },
  sourcemap: true,
  clean: true,
  target: 'node20',
  tsconfig: 'tsconfig.build.json',
  // bin links may be made before the first build, so the file must carry its own exec bit.
  onSuccess: 'chmod +x dist/cli/main.js',
});

import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts', 'src/otp/index.ts', 'src/wire/index.ts', 'src/session/index.ts', 'src/client/index.ts', 'src/formats/index.ts', 'src/serial/index.ts'],
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: true,
  target: 'node20',
  tsconfig: 'tsconfig.build.json',
});

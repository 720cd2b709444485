import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadStationConfig } from './loadStationConfig.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'fobkit-config-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const write = (name: string, o: unknown): string => {
  const p = join(dir, name);
  writeFileSync(p, JSON.stringify(o));
  return p;
};

describe('loadStationConfig', () => {
  it('reads fobkit.config.json from the working directory, resolving paths against the file', () => {
    write('fobkit.config.json', { apiKey: 'k', stationKey: 'keys/station.json', batch: 'B1', profile: { algorithm: 'sha256', digits: 8, period: 30 } });
    const { config, sources } = loadStationConfig({ cwd: dir, env: {} });
    expect(config.stationKey).toBe(join(dir, 'keys/station.json'));
    expect(config.profile).toEqual({ algorithm: 'sha256', digits: 8, period: 30, t0: 0 });
    expect(config.batch).toBe('B1');
    expect(config.seedMode).toBe('random');
    expect(sources['batch']).toBe(join(dir, 'fobkit.config.json'));
  });

  it('environment overrides the file and flags override the environment', () => {
    const file = write('station.json', { apiKey: 'file', stationKey: '/k', batch: 'from-file', backendUrl: 'http://file:1' });
    const { config, sources } = loadStationConfig({
      cwd: dir, configPath: file,
      env: { FOBKIT_BATCH: 'from-env', FOBKIT_BACKEND_URL: 'http://env:2/', FOBKIT_DIGITS: '7' },
      flags: { batch: 'from-flag', digits: undefined },
    });
    expect(config.batch).toBe('from-flag');
    expect(config.backendUrl).toBe('http://env:2');
    expect(config.profile.digits).toBe(7);
    expect(config.apiKey).toBe('file');
    expect(sources['batch']).toBe('command line');
    expect(sources['backendUrl']).toBe('environment');
  });

  it('names the field and its source when a value is bad', () => {
    write('fobkit.config.json', { apiKey: 'k', stationKey: '/k', profile: { digits: 9 } });
    expect(() => loadStationConfig({ cwd: dir, env: {} })).toThrow(/profile .*fobkit\.config\.json.*digits must be 6, 7 or 8/);
    expect(() => loadStationConfig({ cwd: dir, env: {}, flags: { apiKey: 'k', stationKey: '/k', digits: 6, verifyTimes: 2 } })).toThrow(/verifyTimes \(from command line\): must be 3 to 16/);
  });

  it('rejects unknown keys in the file (a typo must not fall back to a default)', () => {
    write('fobkit.config.json', { apiKey: 'k', stationKey: '/k', seedmode: 'derived' });
    expect(() => loadStationConfig({ cwd: dir, env: {} })).toThrow(/unknown key 'seedmode'/);
  });

  it('requires a batch key file for derived seeds, an API key, and a station key', () => {
    expect(() => loadStationConfig({ cwd: dir, env: {}, flags: { stationKey: '/k' } })).toThrow(/apiKey .*missing/);
    expect(() => loadStationConfig({ cwd: dir, env: { FOBKIT_API_KEY: 'k' } })).toThrow(/stationKey .*missing/);
    expect(() => loadStationConfig({ cwd: dir, env: { FOBKIT_API_KEY: 'k', FOBKIT_STATION_KEY: 'k.json', FOBKIT_SEED_MODE: 'derived' } })).toThrow(/batchKeyFile/);
  });

  it('reads the API key from a file and USB ids from a list', () => {
    writeFileSync(join(dir, 'api.key'), 'secret-key\n');
    const { config } = loadStationConfig({ cwd: dir, env: { FOBKIT_API_KEY_FILE: 'api.key', FOBKIT_STATION_KEY: 's.json', FOBKIT_USB_IDS: '1209:F0B1, 0483:5740' } });
    expect(config.apiKey).toBe('secret-key');
    expect(config.usb).toEqual([{ vendorId: '1209', productId: 'f0b1' }, { vendorId: '0483', productId: '5740' }]);
  });
});

describe('default journal and labels', () => {
  it('live in the data directory, not the working directory (FOBKIT_DATA_DIR, else XDG_DATA_HOME/fobkit, else ~/.local/share/fobkit)', () => {
    const flags = { apiKey: 'k', stationKey: '/k' };
    const a = loadStationConfig({ cwd: '/work/tree', env: { FOBKIT_DATA_DIR: '/d' }, flags }).config;
    expect([a.journal, a.labels]).toEqual(['/d/fobkit-station.db', '/d/labels.jsonl']);
    expect(loadStationConfig({ cwd: '/work/tree', env: { XDG_DATA_HOME: '/x', HOME: '/h' }, flags }).config.journal).toBe('/x/fobkit/fobkit-station.db');
    expect(loadStationConfig({ cwd: '/work/tree', env: { HOME: '/h' }, flags }).config.journal).toBe('/h/.local/share/fobkit/fobkit-station.db');
  });
});

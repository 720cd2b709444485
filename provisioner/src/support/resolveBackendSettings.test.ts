import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveBackendSettings, SettingsError } from './resolveBackendSettings.js';

const dir = mkdtempSync(join(tmpdir(), 'fobkit-settings-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('resolveBackendSettings', () => {
  it('takes flags over the environment over the config file', () => {
    writeFileSync(join(dir, 'fobkit.config.json'), JSON.stringify({ backendUrl: 'http://file:1', apiKey: 'file-key', stationKey: 'keys/station.key.json' }));
    expect(resolveBackendSettings({ cwd: dir, env: {} })).toEqual({ backendUrl: 'http://file:1', apiKey: 'file-key', stationKey: join(dir, 'keys/station.key.json') });
    expect(resolveBackendSettings({ cwd: dir, env: { FOBKIT_BACKEND_URL: 'http://env:2/', FOBKIT_API_KEY: 'env-key' } })).toMatchObject({ backendUrl: 'http://env:2', apiKey: 'env-key' });
    expect(resolveBackendSettings({ cwd: dir, env: { FOBKIT_API_KEY: 'env-key' }, backendUrl: 'http://flag:3', apiKey: 'flag-key' })).toMatchObject({ backendUrl: 'http://flag:3', apiKey: 'flag-key' });
  });

  it('reads an API key file; ignores empty variables; says where to give a missing key', () => {
    const empty = mkdtempSync(join(dir, 'empty-'));
    writeFileSync(join(empty, 'k.txt'), 'file-secret\n');
    expect(resolveBackendSettings({ cwd: empty, env: { FOBKIT_API_KEY: '' }, apiKeyFile: 'k.txt' })).toEqual({ backendUrl: 'http://127.0.0.1:8700', apiKey: 'file-secret' });
    expect(() => resolveBackendSettings({ cwd: empty, env: { FOBKIT_API_KEY: '', FOBKIT_CONFIG: '' } })).toThrow(SettingsError);
    expect(() => resolveBackendSettings({ cwd: empty, env: {} })).toThrow(/--api-key.*FOBKIT_API_KEY/);
    expect(() => resolveBackendSettings({ cwd: empty, env: {}, apiKey: 'k', backendUrl: 'ftp://x' })).toThrow(/not an http\(s\) URL/);
  });
});

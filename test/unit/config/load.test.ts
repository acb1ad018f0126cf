import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig, parseConfig } from '../../../src/config/load.js';
import { IpriskError } from '../../../src/errors.js';
import { DEFAULT_SCORE_WEIGHTS } from '../../../src/security/score.js';
import { configProblems } from '../../helpers/config-problems.js';
import { tempDir } from '../../helpers/temp-dir.js';

describe('configuration', () => {
  it('fills every default from an empty file', () => {
    const config = parseConfig({}, 'test');
    expect(config.sources).toEqual([]);
    expect(config.score).toEqual(DEFAULT_SCORE_WEIGHTS);
    expect(config.enrich.ip_fields).toEqual(['source.ip', 'client.ip', 'client_ip', 'remote_addr', 'ip']);
    expect(config.index.path).toBeUndefined();
    expect(config.alerts.rules.map((r) => r.id)).toHaveLength(3);
  });

  it('lists every problem by its path in one error', () => {
    const problems = configProblems(() =>
      parseConfig(
        {
          sources: [
            { name: 'a', format: 'netset', path: 'x' },
            { name: 'a', format: 'nope', path: 'y' },
            { name: 'c', format: 'aws' },
          ],
          score: { tor: 140 },
          index: { max_age_secs: -1 },
          bogus: true,
        },
        'test',
      ),
    );
    const joined = problems.join('\n');
    expect(joined).toContain('sources.0.meaning');
    expect(joined).toContain('sources.1.format');
    expect(joined).toContain('sources.2.path');
    expect(joined).toContain('score.tor');
    expect(joined).toContain('index.max_age_secs');
    expect(joined).toMatch(/bogus/);
    expect(problems.length).toBeGreaterThanOrEqual(6);
  });

  it('rejects unknown keys inside sections', () => {
    expect(configProblems(() => parseConfig({ index: { pth: 'x' } }, 'test')).join()).toMatch(/pth/);
  });

  it('applies IPRISK_* environment overrides with YAML-typed values', () => {
    const config = parseConfig({ index: { path: 'a.snap' } }, 'test', {
      IPRISK_INDEX__PATH: '/data/b.snap',
      IPRISK_INDEX__MAX_AGE_SECS: '60',
      IPRISK_ENRICH__TRUSTED_PROXIES: '[10.0.0.0/8, 192.168.0.0/16]',
      OTHER: 'ignored',
    });
    expect(config.index.path).toBe('/data/b.snap');
    expect(config.index.max_age_secs).toBe(60);
    expect(config.enrich.trusted_proxies).toEqual(['10.0.0.0/8', '192.168.0.0/16']);
  });

  it('reports a bad environment override by its path', () => {
    expect(configProblems(() => parseConfig({}, 'test', { IPRISK_INDEX__MAX_AGE_SECS: 'soon' })).join()).toContain('index.max_age_secs');
  });

  it('reads a YAML file and resolves relative paths against its folder', () => {
    const dir = tempDir('iprisk-config-');
    const file = path.join(dir, 'iprisk.yaml');
    writeFileSync(file, 'index:\n  path: snap/index.snap\n');
    const loaded = loadConfig(file, {});
    expect(loaded.baseDir).toBe(dir);
    expect(Object.isFrozen(loaded.config.index)).toBe(true);
  });

  it('names the line of a YAML syntax error', () => {
    const dir = tempDir('iprisk-config-');
    const file = path.join(dir, 'bad.yaml');
    writeFileSync(file, 'index:\n  path: [unclosed\n');
    expect(configProblems(() => loadConfig(file, {})).join()).toMatch(/yaml line \d/);
  });

  it('fails with CONFIG_UNREADABLE naming a missing file', () => {
    expect(() => loadConfig('/nonexistent/iprisk.yaml', {})).toThrow(IpriskError);
    expect(() => loadConfig('/nonexistent/iprisk.yaml', {})).toThrow('/nonexistent/iprisk.yaml');
  });
});

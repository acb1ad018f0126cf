import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import { planUpdate } from '../../../src/update/plan.js';
import { REPO_ROOT } from '../../helpers/paths.js';

// Read and planned only: nothing here is downloaded (tests never leave the loopback interface).
describe('config/sources.example.yaml', () => {
  it('is a valid configuration whose every enabled source downloads from its own https URL', () => {
    const loaded = loadConfig(path.join(REPO_ROOT, 'config', 'sources.example.yaml'), {});
    const plan = planUpdate(loaded);
    expect(plan.feeds.length).toBeGreaterThan(20);
    for (const feed of plan.feeds) {
      expect(feed.download, feed.source.name).toBe(true);
      expect(feed.url, feed.source.name).toMatch(/^https:\/\//);
      expect(path.dirname(feed.file), feed.source.name).toBe(path.join(loaded.baseDir, 'feeds'));
    }
    expect(loaded.config.sources.find((s) => s.format === 'azure')?.enabled).toBe(false);
  });
});

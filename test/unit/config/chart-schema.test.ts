import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../../src/config/schema.js';
import { REPO_ROOT } from '../../helpers/paths.js';

// The chart's values schema lists the config's sections with additionalProperties false: a
// section the chart forgets is refused by helm before iprisk ever sees it.
describe("the chart's values schema", () => {
  it('accepts every top-level section of the iprisk configuration under config', () => {
    const schema = JSON.parse(readFileSync(path.join(REPO_ROOT, 'helm', 'iprisk', 'values.schema.json'), 'utf8')) as {
      properties: { config: { properties: Record<string, unknown> } };
    };
    expect(Object.keys(schema.properties.config.properties).sort()).toEqual(Object.keys(configSchema.shape).sort());
  });
});

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ROOT } from './support/child.js';

// No Docker engine runs here: these pin what the image and the example deployment promise, by reading them.
const dockerfile = readFileSync(resolve(ROOT, 'Dockerfile'), 'utf8');
const stages = dockerfile.split(/^FROM /m).slice(1);
const compose = readFileSync(resolve(ROOT, 'compose.yaml'), 'utf8');

describe('the Dockerfile', () => {
  it('pulls no image for a syntax line it does not need', () => {
    expect(dockerfile).not.toMatch(/^#\s*syntax=/m);
  });

  it('compiles better-sqlite3 with the base image’s headers, so the build needs only the npm registry', () => {
    expect(stages).toHaveLength(2);
    expect(stages[0]).toMatch(/npm_config_nodedir=\/usr\/local/);
  });

  it('leaves no compiler leftovers of better-sqlite3 in the image', () => {
    const build = stages[0]!;
    expect(build).toMatch(/rm -rf deps src/);
    expect(build).toMatch(/! -name better_sqlite3\.node/);
  });

  it('exposes the HTTP port and the Slack HTTP-mode port', () => {
    expect(stages[1]).toMatch(/^EXPOSE 8080 3000$/m);
  });
});

describe('the example compose.yaml', () => {
  const service = (parse(compose) as { services: Record<string, { volumes?: string[]; env_file?: unknown; ports?: string[] }> })
    .services['course-bot']!;

  it('mounts no host folder that may be missing (a missing ./data would hide the image’s course and loop)', () => {
    expect(service.volumes?.filter((volume) => volume.startsWith('.'))).toEqual([]);
    expect(compose).toMatch(/# - \.\/data:\/app\/data:ro/);
  });

  it('says that .env must exist, and shows the Slack HTTP-mode port', () => {
    expect(service.env_file).toBe('.env');
    expect(compose).toMatch(/cp \.env\.example \.env/);
    expect(compose).toMatch(/# - "127\.0\.0\.1:3000:3000"/);
  });
});

describe('the deployment docs', () => {
  it('no longer say the image was never built', () => {
    for (const file of ['README.md', 'docs/deploy.md']) {
      expect(readFileSync(resolve(ROOT, file), 'utf8')).not.toMatch(/not built|never built/);
    }
  });
});

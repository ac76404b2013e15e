import { describe, expect, it } from 'vitest';
import { dashboardFlags, isOwnHost } from '../../../cli/dashboard.ts';
import { UsageError } from '../../../cli/reco.ts';

describe('Function: dashboardFlags', () => {
  it('takes the API URL, port and region, the region from an execute-api host by default', () => {
    // Act
    const flags = dashboardFlags({ api: 'https://abc123.execute-api.eu-west-1.amazonaws.com/prod/' }, {});

    // Assess
    expect(flags).toEqual({
      api: 'https://abc123.execute-api.eu-west-1.amazonaws.com/prod',
      port: 8080,
      region: 'eu-west-1',
    });
  });

  it('falls back to RECO_SERVER_API_URL and AWS_REGION, and takes --port 0 and --region', () => {
    // Act
    const fromEnv = dashboardFlags({}, { RECO_SERVER_API_URL: 'http://localhost:3000', AWS_REGION: 'us-east-1' });
    const given = dashboardFlags({ api: 'http://localhost:3000', port: '0', region: 'ap-south-1' }, {});

    // Assess
    expect(fromEnv).toEqual({ api: 'http://localhost:3000', port: 8080, region: 'us-east-1' });
    expect(given).toEqual({ api: 'http://localhost:3000', port: 0, region: 'ap-south-1' });
  });

  it.each([
    [{}, '--api URL (or RECO_SERVER_API_URL) is required'],
    [{ api: 'abc123.execute-api.eu-west-1.amazonaws.com/prod' }, '--api must be an absolute URL'],
    [{ api: 'localhost:3000' }, '--api must start with https://'],
    [{ api: 'ftp://example.com/prod' }, '--api must start with https://'],
    [{ api: 'https://abc123.execute-api.eu-west-1.amazonaws.com/prod/v1' }, '--api must not end in /v1'],
    [{ api: 'https://abc123.execute-api.eu-west-1.amazonaws.com/prod/v1/' }, '--api must not end in /v1'],
    [{ api: 'https://x.example/prod?stage=1' }, '--api must be a base URL without query'],
    [{ api: 'https://key:secret@x.example/prod' }, '--api must be a base URL without query'],
    [{ api: 'http://localhost:3000', port: '80a' }, '--port must be a port number'],
    [{ api: 'http://localhost:3000', port: '65536' }, '--port must be a port number'],
    [{ api: 'http://localhost:3000', region: 'Europe' }, '--region must be an AWS region'],
  ])('throws a UsageError naming the flag for %j', (values, message) => {
    // Act
    const read = () => dashboardFlags(values, {});

    // Assess
    expect(read).toThrow(UsageError);
    expect(read).toThrow(message);
  });
});

describe('Function: isOwnHost', () => {
  it.each(['127.0.0.1:8080', 'localhost:8080', 'LOCALHOST:8080', '[::1]:8080'])('returns true for %s', (host) => {
    // Act
    const own = isOwnHost(host, 8080);

    // Assess
    expect(own).toBe(true);
  });

  // A page elsewhere whose name is rebound to 127.0.0.1 sends its own name: it must not read signed stats.
  it.each([undefined, '', 'evil.example:8080', 'evil.example', '127.0.0.1', '127.0.0.1:8081', 'localhost.evil:8080'])(
    'returns false for %s',
    (host) => {
      // Act
      const own = isOwnHost(host, 8080);

      // Assess
      expect(own).toBe(false);
    },
  );
});

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  containerPaths,
  DEFAULT_PORT,
  DEFAULT_ROOT,
  parseFlags,
  resolvePort,
  resolveRoot,
  UsageError,
} from '../../../model/lib/paths.ts';

describe('Entry points: train and serve', () => {
  describe('paths', () => {
    it('returns the SageMaker layout under the root', () => {
      // Act
      const paths = containerPaths('/opt/ml');

      // Assess
      expect(paths).toMatchObject({
        hyperparameters: '/opt/ml/input/config/hyperparameters.json',
        data: '/opt/ml/input/data',
        model: '/opt/ml/model',
        failure: '/opt/ml/output/failure',
      });
      expect(paths.channel('interactions')).toBe(join('/opt/ml', 'input', 'data', 'interactions'));
    });

    it.each([
      ['the flag over SM_ROOT', '/flag', '/env', '/flag'],
      ['SM_ROOT without a flag', undefined, '/env', '/env'],
      ['/opt/ml without either', undefined, undefined, DEFAULT_ROOT],
      ['/opt/ml for an empty SM_ROOT', undefined, '', DEFAULT_ROOT],
    ])('returns %s as the root', (_name, flag, env, expected) => {
      // Act
      const root = resolveRoot(flag, env);

      // Assess
      expect(root).toBe(expected);
    });
  });

  describe('port', () => {
    it.each([
      ['the flag over SAGEMAKER_BIND_TO_PORT', '9000', '8081', 9000],
      ['0 for any free port', '0', undefined, 0],
      ['SAGEMAKER_BIND_TO_PORT without a flag', undefined, '8081', 8081],
      ['8080 without either', undefined, undefined, DEFAULT_PORT],
    ])('returns %s', (_name, flag, env, expected) => {
      // Act
      const port = resolvePort(flag, env);

      // Assess
      expect(port).toBe(expected);
    });

    it.each([
      ['--port', 'http', undefined],
      ['--port', '70000', undefined],
      ['--port', '-1', undefined],
      ['SAGEMAKER_BIND_TO_PORT', undefined, '80a'],
    ])('returns a bad %s rejected naming it', (source, flag, env) => {
      // Act
      const resolve = () => resolvePort(flag, env);

      // Assess
      expect(resolve).toThrow(UsageError);
      expect(resolve).toThrow(`${source}: expected a port number from 0 to 65535`);
    });
  });

  describe('flags', () => {
    it('returns the values of known flags', () => {
      // Act
      const flags = parseFlags(['--root', '/tmp/ml', '--port=0'], ['root', 'port'] as const);

      // Assess
      expect(flags).toEqual({ root: '/tmp/ml', port: '0' });
    });

    it.each([
      [['--rooot', '/x'], "Unknown option '--rooot'"],
      [['serve'], "Unexpected argument 'serve'"],
    ])('returns %j rejected, listing the valid flags', (args, message) => {
      // Act
      const parse = () => parseFlags(args, ['root', 'port'] as const);

      // Assess
      expect(parse).toThrow(UsageError);
      expect(parse).toThrow(message);
      expect(parse).toThrow('valid flags: --root VALUE --port VALUE');
    });
  });
});

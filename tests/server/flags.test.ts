/**
 * The server's command line refuses what it does not read: an unknown flag (a typo such as
 * `--local-password off` would otherwise start a floor with passwords still on), a stray
 * positional argument, or a flag without its value. One line on stderr, exit code 2.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkArgv, knownFlags, readOptions, serveHelp, UsageError } from '../../server/main.ts';

const root = path.resolve(__dirname, '../..');

describe('unknown flags and stray arguments', () => {
  it('refuses an unknown flag, in both forms, with the closest known flag when it looks like a typo', () => {
    const cases: [string[], string][] = [
      [['--metrics-prot', '9999'], 'unknown flag --metrics-prot (see floorwatch --help); did you mean --metrics-port?'],
      [['--oidc-usernme-claim', 'x'], 'unknown flag --oidc-usernme-claim (see floorwatch --help); did you mean --oidc-username-claim?'],
      [['--local-password', 'off'], 'unknown flag --local-password (see floorwatch --help); did you mean --local-passwords?'],
      [['--local-password=off'], 'unknown flag --local-password (see floorwatch --help); did you mean --local-passwords?'],
      [['--port', '3000', '--bogus'], 'unknown flag --bogus (see floorwatch --help)'],
      [['-p', '3000'], 'unknown flag -p (see floorwatch --help)'],
      [['--data', 'x', 'stray'], 'unexpected argument "stray" (see floorwatch --help)'],
      [['--port'], '--port needs a value (see floorwatch --help)'],
      [['--demo', '--port', '3000'], '--demo needs a value (see floorwatch --help)'],
    ];
    for (const [argv, message] of cases) {
      let thrown: unknown;
      try {
        readOptions(argv, {});
      } catch (err) {
        thrown = err;
      }
      expect(thrown, argv.join(' ')).toBeInstanceOf(UsageError);
      expect((thrown as UsageError).message).toBe(message);
      expect((thrown as UsageError).exitCode).toBe(2);
    }
  });

  it('accepts every flag it reads, as --name value and --name=value, and flags only read with another one', () => {
    expect(readOptions(['--port', '4000', '--data=/tmp/x', '--local-passwords', 'on'], {}).port).toBe(4000);
    expect(readOptions(['--port=4001'], {}).port).toBe(4001);
    // --ami-user is read even without --ami; --metrics-host needs --metrics-port but is a known flag.
    expect(() => checkArgv(['--ami-user', 'x', '--metrics-host', '127.0.0.1'])).not.toThrow();
    // A value that starts with a single dash is a value.
    expect(() => checkArgv(['--tz', '-03'])).not.toThrow();
    // The secret flags keep their own message (set it in the environment).
    expect(() => readOptions(['--ami-secret', 's'], {})).toThrow(/--ami-secret: not accepted as a flag/);
    expect(() => readOptions(['--metrics-token=s'], {})).toThrow(/--metrics-token: not accepted as a flag/);
    expect(() => readOptions(['--oidc-client-secret', 's'], {})).toThrow(/--oidc-client-secret: not accepted as a flag/);
  });

  it('refuses a bad value of a flag or an environment setting as a usage error (exit 2), in its own words', () => {
    const bad: [string[], NodeJS.ProcessEnv, RegExp][] = [
      [['--port', 'abc'], {}, /port/],
      [['--freeswitch', '127.0.0.1:notaport'], { FLOORWATCH_FS_PASSWORD: 'x' }, /--freeswitch/],
      [['--freeswitch', '127.0.0.1:99999'], { FLOORWATCH_FS_PASSWORD: 'x' }, /1\.\.65535/],
      [['--freeswitch', '127.0.0.1:8021'], {}, /FLOORWATCH_FS_PASSWORD/],
      [['--ami', 'pbx:0'], {}, /--ami/],
      [['--transcripts', 'some'], {}, /transcripts/],
      [['--fs-password', 's'], {}, /--fs-password: not accepted as a flag/],
    ];
    for (const [argv, env, message] of bad) {
      let thrown: unknown;
      try {
        readOptions(argv, env);
      } catch (err) {
        thrown = err;
      }
      expect(thrown, argv.join(' ')).toBeInstanceOf(UsageError);
      expect((thrown as UsageError).exitCode).toBe(2);
      expect((thrown as Error).message).toMatch(message);
    }
  });

  it('knows every flag main.ts documents, and --help lists them', () => {
    const source = fs.readFileSync(path.join(root, 'server/main.ts'), 'utf8');
    const header = source.slice(0, source.indexOf('*/'));
    const documented = [...header.matchAll(/^ \* {3}--([a-z-]+)/gm)].map((m) => m[1]);
    expect(documented.length).toBeGreaterThan(30);
    for (const name of documented) expect(knownFlags().has(name), name).toBe(true);
    const listed = serveHelp().match(/^Flags: (.*)$/m)?.[1].split(' ') ?? [];
    for (const name of documented) expect(listed).toContain(`--${name}`);
    expect(knownFlags().has('bogus')).toBe(false);
  });

  it('exits 2 with one line on stderr, through the floorwatch command, before touching the data folder', () => {
    const dataDir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'floorwatch-flags-')), 'data');
    const run = spawnSync(process.execPath, ['bin/floorwatch.mjs', 'serve', '--data', dataDir, '--port', '0', '--local-password', 'off'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(run.status).toBe(2);
    expect(run.stderr).toBe('floorwatch: unknown flag --local-password (see floorwatch --help); did you mean --local-passwords?\n');
    expect(run.stdout).toBe('');
    expect(fs.existsSync(dataDir)).toBe(false);
  }, 40_000);
});

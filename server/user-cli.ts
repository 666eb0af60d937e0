/**
 * `floorwatch user reset-password NAME --data DIR`: for an admin locked out
 * of their account (or of every admin account). Sets a new random one-time
 * password in the data folder's auth.db, prints it once, and marks it to be
 * changed at the next sign-in; every session of the user ends. Works while
 * the server runs (SQLite in WAL mode): its open sockets of that user are cut
 * by the server's next sweep of sessions.
 *
 * Exit codes (as `floorwatch doctor`): 0 done, 1 no such user or the user
 * store could not be opened (the reason is printed), 2 usage error.
 */
import fs from 'node:fs';
import path from 'node:path';
import { AuthStore } from './auth/store.ts';
import { AUTH_FILE } from './doctor.ts';

export const USER_USAGE = `Usage:
  floorwatch user reset-password NAME --data DIR
      Gives the user NAME of the data folder DIR (its auth.db) a new one-time
      password, printed once; it must be changed at the next sign-in, and
      every session of the user ends. For an admin who cannot sign in.
  Exit codes: 0 done, 1 no such user or auth.db cannot be opened, 2 usage error.
`;

interface UserCliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

/** `floorwatch user …` (argv without the word `user`); resolves with the exit code. */
export async function runUserCli(argv: string[], io: UserCliIo): Promise<number> {
  const usage = (msg: string) => {
    io.stderr(`floorwatch user: ${msg}\n${USER_USAGE}`);
    return 2;
  };
  const [command, ...rest] = argv;
  if (command === '--help' || command === '-h' || command === 'help') {
    io.stdout(USER_USAGE);
    return 0;
  }
  if (command === undefined) return usage('expected a command: reset-password');
  if (command !== 'reset-password') return usage(`unknown command "${command}"; expected reset-password`);
  let dataDir: string | undefined;
  let name: string | undefined;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    if (arg === '--help' || arg === '-h') {
      io.stdout(USER_USAGE);
      return 0;
    }
    if (arg === '--data' || arg.startsWith('--data=')) {
      const value = arg === '--data' ? rest[++i] : arg.slice('--data='.length);
      if (value === undefined || value === '' || value.startsWith('--')) return usage('--data needs a folder');
      if (dataDir !== undefined) return usage('--data given twice');
      dataDir = value;
    } else if (arg.startsWith('-')) return usage(`unknown option ${arg}`);
    else if (name === undefined) name = arg;
    else return usage(`unexpected argument "${arg}"`);
  }
  if (name === undefined) return usage('reset-password needs the user name');
  if (dataDir === undefined) return usage('--data DIR is required');
  const file = path.join(path.resolve(dataDir), AUTH_FILE);
  // Opening would create an empty store: a wrong folder must be said, not papered over.
  if (!fs.existsSync(file)) {
    io.stderr(`floorwatch user: no user store at ${file}; is ${dataDir} the folder given to the server with --data?\n`);
    return 1;
  }
  let auth: AuthStore;
  try {
    auth = new AuthStore(file);
  } catch (err) {
    io.stderr(`floorwatch user: ${(err as Error).message}\n`);
    return 1;
  }
  try {
    const user = auth.findUser(name);
    if (!user) {
      const known = auth.listUsers().map((u) => u.username);
      io.stderr(`floorwatch user: no user "${name}" in ${file}${known.length ? `; users: ${known.join(', ')}` : ''}\n`);
      return 1;
    }
    const password = await auth.resetPassword(user.id);
    io.stdout(
      `user "${user.username}" (${user.role}): new one-time password ${password}\n` +
        `It is shown only now. Sign in with it and set a new password at once; every session of "${user.username}" has ended.\n`,
    );
    return 0;
  } catch (err) {
    io.stderr(`floorwatch user: ${(err as Error).message}\n`);
    return 1;
  } finally {
    auth.close();
  }
}

/**
 * The first administrator (issue 4): on a first start with no users, an admin is created from
 * ADMIN_USERNAME / ADMIN_PASSWORD, or, without a password, with a generated one printed once to
 * the console. It is never logged through pino: log files travel further than a console.
 */
import { config } from '../config';
import { systemActor } from './actor';
import { generatePassword } from './password';
import { countUsers, createUser } from './user.service';

export interface BootstrapOptions {
  username?: string;
  password?: string;
  /** Where the generated password goes; the console by default. */
  print?: (line: string) => void;
}

export interface BootstrapResult {
  created: boolean;
  username?: string;
  /** Only when generated, so a demo can show it; never stored in clear. */
  generatedPassword?: string;
}

/** The whole country: an admin's region has no bounds. */
const ADMIN_REGIONS = ['000000000000'];

export async function ensureAdmin(options: BootstrapOptions = {}): Promise<BootstrapResult> {
  if ((await countUsers()) > 0) return { created: false };
  const username = options.username ?? config.adminUsername;
  const given = options.password ?? config.adminPassword;
  const password = given ?? generatePassword();
  try {
    await createUser(systemActor, { username, password, role: 'admin', regionCodes: ADMIN_REGIONS });
  } catch (err) {
    // Another process started at the same moment and created it first.
    if ((await countUsers()) > 0) return { created: false };
    throw err;
  }
  if (given !== undefined) return { created: true, username };
  const print = options.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  print(`First start: created administrator "${username}" with password ${password}`);
  print('Change it after logging in (POST /api/v1/auth/password); it is not shown again.');
  return { created: true, username, generatedPassword: password };
}

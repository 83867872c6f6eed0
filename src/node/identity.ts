// The node's identity key: created on first start, kept in the data dir with mode 0600.
import { chmod, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fromHex, toHex } from '../crypto/bytes.js';
import { isValidSecretKey, publicKeyOf, randomSecretKey } from '../crypto/keys.js';

export interface Identity {
  secretKey: Uint8Array;
  nodeId: Uint8Array;
}

export async function loadOrCreateIdentity(dataDir: string): Promise<Identity> {
  const path = join(dataDir, 'node-key');
  let secretKey: Uint8Array;
  try {
    const text = (await readFile(path, 'utf8')).trim();
    secretKey = fromHex(text, 'node key file', 32);
    if (!isValidSecretKey(secretKey)) throw new Error(`${path} does not hold a valid secp256k1 key`);
    if (((await stat(path)).mode & 0o077) !== 0) await chmod(path, 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    secretKey = randomSecretKey();
    await writeFile(path, toHex(secretKey) + '\n', { mode: 0o600, flag: 'wx' });
  }
  return { secretKey, nodeId: publicKeyOf(secretKey) };
}

/**
 * From a directory entry to a GoDocker account: which attribute holds the name, the uid,
 * the gid, the home and the mail (OpenLDAP's posixAccount and Active Directory's RFC 2307
 * attributes differ), and the refusals a person can act on when one is missing.
 */
import { AccountNotUsableError, type DirectoryAccount } from '@godocker/sdk';
import type { Entry } from 'ldapts';

/** For each field, the attributes that may hold it, first found wins (lists, as in the config). */
export interface LdapAttributeMap {
  name: string[];
  uid: string[];
  gid: string[];
  home: string[];
  mail: string[];
}

export const DEFAULT_ATTRIBUTES: LdapAttributeMap = {
  name: ['uid', 'sAMAccountName'],
  uid: ['uidNumber'],
  gid: ['gidNumber'],
  home: ['homeDirectory', 'unixHomeDirectory'],
  mail: ['mail'],
};

/** GoDocker's user names (UserNameSchema of the sdk). */
const USER_NAME = /^[a-z_][a-z0-9_.-]{0,63}$/;

/** LDAP attribute names are case-insensitive; servers answer in their own spelling. */
export function firstValue(entry: Entry, names: readonly string[]): string | null {
  for (const name of names) {
    const key = Object.keys(entry).find((k) => k.toLowerCase() === name.toLowerCase());
    if (key === undefined) continue;
    const raw = entry[key];
    const value = Array.isArray(raw) ? raw[0] : raw;
    if (value === undefined) continue;
    const text = Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
    if (text !== '') return text;
  }
  return null;
}

export function allValues(entry: Entry, name: string): string[] {
  const key = Object.keys(entry).find((k) => k.toLowerCase() === name.toLowerCase());
  const raw = key === undefined ? [] : entry[key];
  const list = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  return list.map((v) => (Buffer.isBuffer(v) ? v.toString('utf8') : String(v)));
}

function idNumber(entry: Entry, names: readonly string[], dn: string, what: string): number {
  const text = firstValue(entry, names);
  if (text === null) {
    throw new AccountNotUsableError(
      `your directory account (${dn}) has no ${names.join(' or ')}: GoDocker runs jobs as your own ${what}, so it cannot log you in; ask your directory admin to give the account a ${names[0]}`,
    );
  }
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n > 4294967294) {
    throw new AccountNotUsableError(
      `your directory account (${dn}) has ${names[0]} "${text}", which is not a ${what}: ask your directory admin`,
    );
  }
  // Jobs never run as root through a login: the admin's rootUsers decides that, not the directory.
  if (n === 0)
    throw new AccountNotUsableError(
      `your directory account (${dn}) has ${what} 0 (root): GoDocker does not log in root accounts`,
    );
  return n;
}

/** The account of an entry whose password was checked; AccountNotUsableError when it cannot run jobs. */
export function accountOf(entry: Entry, attributes: LdapAttributeMap, groups: string[]): DirectoryAccount {
  const dn = entry.dn;
  const rawName = firstValue(entry, attributes.name);
  if (rawName === null) {
    throw new AccountNotUsableError(
      `your directory account (${dn}) has no ${attributes.name.join(' or ')}: ask your directory admin`,
    );
  }
  const name = rawName.toLowerCase();
  if (!USER_NAME.test(name)) {
    throw new AccountNotUsableError(
      `your directory user name "${rawName}" cannot be a GoDocker user name (lower-case letters, digits, _ . -, starting with a letter or _): ask your GoDocker admin`,
    );
  }
  const uid = idNumber(entry, attributes.uid, dn, 'uid');
  const gid = idNumber(entry, attributes.gid, dn, 'gid');
  const home = firstValue(entry, attributes.home);
  return {
    name,
    uid,
    gid,
    home: home?.startsWith('/') ? home : `/home/${name}`,
    mail: firstValue(entry, attributes.mail),
    groups,
  };
}

/** `CN=ops,OU=Groups,DC=example,DC=org` -> `ops`: Active Directory's memberOf holds DNs. */
export function cnOfDn(dn: string): string | null {
  const m = /^\s*cn\s*=\s*((?:\\.|[^,+\\])+)/i.exec(dn);
  return m?.[1] ? m[1].replace(/\\(.)/g, '$1').trim() : null;
}

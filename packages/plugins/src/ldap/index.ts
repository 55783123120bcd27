export type { LdapAttributeMap } from './ldap-account.js';
export {
  createLdapAuthenticator,
  LdapAuthenticator,
  type LdapAuthenticatorOptions,
  type LdapGroupOptions,
} from './ldap-authenticator.js';

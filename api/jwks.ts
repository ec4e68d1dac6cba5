import { createLocalJWKSet, createRemoteJWKSet, errors as joseErrors, type CryptoKey, type JWSHeaderParameters } from 'jose';
import { JourneyError } from '../common/index.js';

/** How soon a client may retry after the key set could not be fetched. */
const KEYS_UNAVAILABLE_RETRY_AFTER_MS = 1_000;

/** A public key of the key set, as Web Crypto holds it. */
export type VerifyingKey = CryptoKey;

/** The public keys of a token's header (`alg`, `kid`) in a key set: none, one, or several without a `kid`. */
export type KeySetLookup = (header: JWSHeaderParameters) => Promise<VerifyingKey[]>;

export interface RemoteKeySetOptions {
  /** Least time between two fetches caused by unknown key ids, in milliseconds. */
  cooldownMs: number;
  /** Age after which the cached set is fetched again before use, in milliseconds. */
  cacheMaxAgeMs: number;
}

type Getter = (header: JWSHeaderParameters) => Promise<VerifyingKey>;

/** Every key of a lookup that matched several (a set with more than one key of the algorithm and no `kid` in the token). */
async function allOf(getter: Getter, header: JWSHeaderParameters): Promise<VerifyingKey[]> {
  try {
    return [await getter(header)];
  } catch (error) {
    if (error instanceof joseErrors.JWKSNoMatchingKey) return [];
    if (error instanceof joseErrors.JWKSMultipleMatchingKeys) {
      const keys: VerifyingKey[] = [];
      for await (const key of error) keys.push(key);
      return keys;
    }
    throw error;
  }
}

/**
 * The identity provider's key set at `url`, through jose's remote set: fetched on first use,
 * cached for `cacheMaxAgeMs`, fetched again when a token names a key id the cached set lacks (at
 * most once per `cooldownMs`; concurrent requests share one fetch). So a rotated-in key verifies
 * at once and a rotated-out one is refused once the set was fetched after the rotation.
 *
 * A fetch that fails is `JE_AUTH_KEYS_UNAVAILABLE` (503: the token may be fine), except that the
 * keys of the last fetched set still verify while the provider cannot be reached: an outage of
 * its endpoint does not take the API down for tokens of keys already known.
 */
export function remoteKeySet(url: URL, options: RemoteKeySetOptions): KeySetLookup {
  const remote = createRemoteJWKSet(url, { cooldownDuration: options.cooldownMs, cacheMaxAge: options.cacheMaxAgeMs });
  return async (header) => {
    try {
      return await allOf(remote, header);
    } catch (error) {
      if (error instanceof joseErrors.JOSENotSupported) return [];
      const last = remote.jwks();
      const stale = last === undefined ? [] : await allOf(createLocalJWKSet(last), header).catch(() => []);
      if (stale.length > 0) return stale;
      throw new JourneyError('JE_AUTH_KEYS_UNAVAILABLE', `The key set that verifies tokens cannot be fetched from ${url.origin}`, {
        cause: error,
        retryAfterMs: KEYS_UNAVAILABLE_RETRY_AFTER_MS,
        details: { jwksUrl: url.href },
      });
    }
  };
}

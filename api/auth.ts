import type { KeyObject } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { decodeProtectedHeader, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { AddressRanges, DEFAULT_TENANT, JourneyError, TENANT_PATTERN } from '../common/index.js';
import type { EventContext } from '../dsl/index.js';
import { remoteKeySet, type KeySetLookup, type VerifyingKey } from './jwks.js';
import { loadJwtKeys, type JwtKeys, type ResolvedApiOptions } from './options.js';

/** Who is calling, as established by authentication. */
export interface Identity {
  sender: string;
  roles: string[];
  /** 0 (anonymous) .. 3 (strong customer authentication). */
  trustLevel: number;
  /** From a `channel` claim (jwt mode), else from the channel header. */
  channel?: string;
  /** From a `geo` claim (jwt mode), else from the geo header. */
  geo?: string;
  /**
   * The client institution the caller acts for: a `tenant` claim (jwt mode) or `X-Dev-Tenant`
   * (dev mode), else {@link DEFAULT_TENANT}. Every journey belongs to the tenant that started it.
   */
  tenant: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the authentication hook on protected routes; null on public ones. */
    identity: Identity | null;
  }
}

/** Default sender in dev mode when `X-Dev-Sender` is absent. */
export const DEV_DEFAULT_SENDER = 'dev-user';

/** User ids, service names, `auth0|abc`, e-mail-like subjects; no spaces or control characters. */
const SENDER = /^[A-Za-z0-9._:@|+-]{1,128}$/;
const ROLE = /^[A-Za-z0-9._:-]{1,64}$/;
const CHANNEL = /^[A-Za-z0-9_-]{1,32}$/;
const GEO = /^[A-Za-z]{2}$/;
const MAX_ROLES = 32;

function refuse(message: string, details: Record<string, unknown> = {}): JourneyError {
  return new JourneyError('JE_UNAUTHENTICATED', message, { details });
}

function badHeader(header: string, message: string): JourneyError {
  return new JourneyError('JE_BAD_REQUEST', `Header ${header} ${message}`, { details: { header } });
}

function singleHeader(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name.toLowerCase()];
  if (Array.isArray(value)) throw badHeader(name, 'must appear once');
  return value === undefined || value === '' ? undefined : value;
}

function parseRoles(value: string, invalid: (message: string) => JourneyError): string[] {
  const roles = value
    .split(',')
    .map((role) => role.trim())
    .filter((role) => role !== '');
  if (roles.length > MAX_ROLES) throw invalid(`must list at most ${MAX_ROLES} roles`);
  for (const role of roles) if (!ROLE.test(role)) throw invalid(`holds an invalid role name (allowed: ${ROLE.source})`);
  return roles;
}

function parseTrustLevel(value: unknown, invalid: (message: string) => JourneyError): number {
  const level = typeof value === 'string' && /^[0-3]$/.test(value) ? Number(value) : value;
  if (typeof level !== 'number' || !Number.isInteger(level) || level < 0 || level > 3) {
    throw invalid('must be an integer from 0 to 3');
  }
  return level;
}

/** Checks the `X-Dev-*` headers and the trust-level header: the whole identity in dev mode. */
function devIdentity(request: FastifyRequest, options: ResolvedApiOptions): Identity {
  const sender = singleHeader(request, 'X-Dev-Sender') ?? DEV_DEFAULT_SENDER;
  if (!SENDER.test(sender)) throw badHeader('X-Dev-Sender', `must match ${SENDER.source}`);
  const rolesHeader = singleHeader(request, 'X-Dev-Roles');
  const roles = rolesHeader === undefined ? [] : parseRoles(rolesHeader, (m) => badHeader('X-Dev-Roles', m));
  const trustHeader = singleHeader(request, options.contextHeaders.trustLevel);
  const trustLevel = trustHeader === undefined ? 0 : parseTrustLevel(trustHeader, (m) => badHeader(options.contextHeaders.trustLevel, m));
  const tenant = singleHeader(request, 'X-Dev-Tenant') ?? DEFAULT_TENANT;
  if (!TENANT_PATTERN.test(tenant)) throw badHeader('X-Dev-Tenant', `must match ${TENANT_PATTERN.source}`);
  return { sender, roles, trustLevel, tenant };
}

/** The JOSE algorithms a public key may verify, by its type (and curve). */
function algorithmsOf(key: KeyObject): string[] {
  switch (key.asymmetricKeyType) {
    case 'rsa':
      return ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];
    case 'rsa-pss':
      return ['PS256', 'PS384', 'PS512'];
    case 'ec': {
      const curve = key.asymmetricKeyDetails?.namedCurve;
      return curve === 'prime256v1' ? ['ES256'] : curve === 'secp384r1' ? ['ES384'] : curve === 'secp521r1' ? ['ES512'] : [];
    }
    case 'ed25519':
      return ['EdDSA', 'Ed25519'];
    default:
      return [];
  }
}

function claimsIdentity(payload: JWTPayload): Identity {
  const sender = payload.sub;
  if (typeof sender !== 'string' || !SENDER.test(sender)) throw refuse(`The token's sub claim must match ${SENDER.source}`);
  const invalidClaim = (claim: string) => (message: string) => refuse(`The token's ${claim} claim ${message}`);
  const rolesClaim = payload['roles'];
  let roles: string[] = [];
  if (rolesClaim !== undefined) {
    if (!Array.isArray(rolesClaim) || !rolesClaim.every((role): role is string => typeof role === 'string')) {
      throw refuse("The token's roles claim must be an array of strings");
    }
    roles = parseRoles(rolesClaim.join(','), invalidClaim('roles'));
  }
  const trustClaim = payload['trust_level'];
  const trustLevel = trustClaim === undefined ? 0 : parseTrustLevel(trustClaim, invalidClaim('trust_level'));
  const tenantClaim = payload['tenant'];
  if (tenantClaim !== undefined && (typeof tenantClaim !== 'string' || !TENANT_PATTERN.test(tenantClaim))) {
    throw refuse(`The token's tenant claim must match ${TENANT_PATTERN.source}`);
  }
  const identity: Identity = { sender, roles, trustLevel, tenant: tenantClaim ?? DEFAULT_TENANT };
  const channel = payload['channel'];
  if (channel !== undefined) {
    if (typeof channel !== 'string' || !CHANNEL.test(channel)) throw refuse(`The token's channel claim must match ${CHANNEL.source}`);
    identity.channel = channel;
  }
  const geo = payload['geo'];
  if (geo !== undefined) {
    if (typeof geo !== 'string' || !GEO.test(geo)) throw refuse("The token's geo claim must be an ISO 3166-1 alpha-2 code");
    identity.geo = geo.toUpperCase();
  }
  return identity;
}

async function jwtIdentity(
  request: FastifyRequest,
  options: ResolvedApiOptions & { auth: { mode: 'jwt' } },
  keys: JwtKeys,
  keySet: KeySetLookup | undefined,
): Promise<Identity> {
  const header = singleHeader(request, 'Authorization');
  const match = header === undefined ? null : /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)$/.exec(header);
  if (!match?.[1]) throw refuse('A bearer token is required (Authorization: Bearer <JWT>)');
  const token = match[1];
  let protectedHeader: ReturnType<typeof decodeProtectedHeader>;
  try {
    protectedHeader = decodeProtectedHeader(token);
  } catch (error) {
    throw new JourneyError('JE_UNAUTHENTICATED', 'The bearer token is malformed', { cause: error });
  }
  const { alg, kid } = protectedHeader;
  // The key set is asked only for asymmetric algorithms (never HS256: that would take a public key for a secret).
  const fromKeySet = keySet !== undefined && alg !== undefined && alg !== 'HS256' && alg !== 'none' ? await keySet(protectedHeader) : [];
  const candidates: Array<Uint8Array | KeyObject | VerifyingKey> =
    alg === 'HS256' ? keys.secrets : alg === undefined ? [] : [...keys.publicKeys.filter((key) => algorithmsOf(key).includes(alg)), ...fromKeySet];
  if (alg === undefined || candidates.length === 0) {
    if (keySet !== undefined && alg !== undefined && alg !== 'HS256' && alg !== 'none') {
      throw refuse(`No key of the key set verifies the token (alg ${alg}, kid ${kid ?? '(none)'})`, { kid: kid ?? null });
    }
    throw refuse(`The token's algorithm ${alg ?? '(none)'} is not accepted`);
  }
  const { auth } = options;
  for (const key of candidates) {
    try {
      const { payload } = await jwtVerify(token, key, {
        algorithms: [alg],
        requiredClaims: ['exp', 'sub'],
        clockTolerance: Math.ceil(auth.clockToleranceMs / 1000),
        ...(auth.issuer === undefined ? {} : { issuer: auth.issuer }),
        ...(auth.audience === undefined ? {} : { audience: auth.audience }),
      });
      return claimsIdentity(payload);
    } catch (error) {
      if (error instanceof joseErrors.JWSSignatureVerificationFailed) continue;
      if (error instanceof JourneyError) throw error;
      if (error instanceof joseErrors.JWTExpired) throw new JourneyError('JE_UNAUTHENTICATED', 'The bearer token has expired', { cause: error });
      if (error instanceof joseErrors.JWTClaimValidationFailed) {
        throw new JourneyError('JE_UNAUTHENTICATED', `The bearer token's ${error.claim} claim is not accepted`, {
          cause: error,
          details: { claim: error.claim },
        });
      }
      throw new JourneyError('JE_UNAUTHENTICATED', 'The bearer token is invalid', { cause: error });
    }
  }
  throw refuse('The bearer token signature does not verify');
}

/** Resolves the caller's identity of one request; throws 401/400 `JourneyError`s. */
export type Authenticator = (request: FastifyRequest) => Promise<Identity>;

export function createAuthenticator(options: ResolvedApiOptions): Authenticator {
  if (options.auth.mode === 'dev') return (request) => Promise.resolve(devIdentity(request, options));
  const jwtOptions = options as ResolvedApiOptions & { auth: { mode: 'jwt' } };
  const keys = loadJwtKeys(jwtOptions.auth);
  const keySet =
    keys.jwksUrl === undefined
      ? undefined
      : remoteKeySet(keys.jwksUrl, { cooldownMs: jwtOptions.auth.jwksCooldownMs, cacheMaxAgeMs: jwtOptions.auth.jwksCacheMaxAgeMs });
  return (request) => jwtIdentity(request, jwtOptions, keys, keySet);
}

/** An `onRequest` hook that authenticates and sets `request.identity`. */
export function authenticationHook(authenticate: Authenticator) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    try {
      request.identity = await authenticate(request);
    } catch (error) {
      if (error instanceof JourneyError && error.code === 'JE_UNAUTHENTICATED') {
        void reply.header('www-authenticate', 'Bearer error="invalid_token"');
      }
      throw error;
    }
  };
}

const gatewaysOf = new WeakMap<ResolvedApiOptions, AddressRanges>();

/**
 * Whether this request's channel and geo headers may be believed: it comes from a configured
 * gateway (the TCP peer's address; forwarded-for headers are the client's to write), or, with no
 * gateway configured, the API is in dev mode (where every header is believed anyway).
 */
function fromTrustedGateway(request: FastifyRequest, options: ResolvedApiOptions): boolean {
  if (options.trustedGateways.length === 0) return options.auth.mode === 'dev';
  let gateways = gatewaysOf.get(options);
  if (gateways === undefined) {
    gateways = new AddressRanges(options.trustedGateways);
    gatewaysOf.set(options, gateways);
  }
  return gateways.has(request.socket.remoteAddress);
}

/**
 * The event context of a request. Precedence: sender, roles and trust level come from the
 * identity only (in jwt mode the token; a trust-level header is ignored there, so a client cannot
 * raise its own trust); channel and geo come from the token's claims when present, else from the
 * configured headers when a trusted gateway set them (`trustedGateways`; from any other peer they
 * are not read), else `defaultChannel` / absent.
 */
export function eventContext(request: FastifyRequest, identity: Identity, options: ResolvedApiOptions): EventContext {
  const channelHeader = options.contextHeaders.channel;
  const geoHeader = options.contextHeaders.geo;
  const gateway = fromTrustedGateway(request, options);
  let channel = identity.channel;
  if (channel === undefined) {
    const value = gateway ? singleHeader(request, channelHeader) : undefined;
    if (value !== undefined && !CHANNEL.test(value)) throw badHeader(channelHeader, `must match ${CHANNEL.source}`);
    channel = value ?? options.defaultChannel;
  }
  let geo = identity.geo;
  if (geo === undefined) {
    const value = gateway ? singleHeader(request, geoHeader) : undefined;
    if (value !== undefined && !GEO.test(value)) throw badHeader(geoHeader, 'must be an ISO 3166-1 alpha-2 code');
    geo = value?.toUpperCase();
  }
  return {
    sender: identity.sender,
    roles: [...identity.roles],
    trustLevel: identity.trustLevel,
    channel,
    ...(geo === undefined ? {} : { geo }),
    origin: 'api',
  };
}

/** The role that may deploy and undeploy journey versions (a `roles` claim, or `X-Dev-Roles` in dev mode). */
export const OPERATOR_ROLE = 'operator';

/**
 * An `onRequest` hook for operations routes, after authentication: refuses a caller without the
 * operator role with 403 `JE_ACCESS_DENIED`, before its body is read; `what` names what it does.
 */
export function operatorOnly(what: string): (request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void) => void {
  return (request, _reply, done) => {
    const identity = request.identity;
    if (identity === null) done(new JourneyError('JE_UNAUTHENTICATED', 'The request is not authenticated'));
    else if (!identity.roles.includes(OPERATOR_ROLE)) done(operatorRequired(identity, what));
    else done();
  };
}

/** The operator hook of deployments and uplifts. */
export const requireOperator = operatorOnly('Deploying and undeploying journey versions');

/** The 403 of an operations route called without the operator role; `what` names what it does. */
export function operatorRequired(identity: Identity, what: string): JourneyError {
  return new JourneyError(
    'JE_ACCESS_DENIED',
    `${what} needs the ${OPERATOR_ROLE} role; ${identity.sender} has ${identity.roles.length === 0 ? 'no roles' : `roles ${identity.roles.join(', ')}`}`,
    { details: { requiredRole: OPERATOR_ROLE, sender: identity.sender, roles: identity.roles } },
  );
}

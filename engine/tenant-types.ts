/**
 * The journey types each tenant may use (`tenants` in the API options, env TENANTS). The API
 * refuses what a caller's tenant may not use (api/tenancy.ts); the engine refuses the same when a
 * journey of that tenant starts one (`start`): one rule, wherever a journey begins.
 */
import { JourneyError } from '../common/index.js';

/** `pfm/wallet` matches that type; `pfm/*` every type under `pfm/`; `*` every type. */
export type JourneyTypePattern = string;

/** Tenant → the patterns of the journey types it may use. */
export type TenantTypesConfig = Readonly<Record<string, { journeyTypes: readonly JourneyTypePattern[] }>>;

export class TenantTypes {
  protected readonly tenants: ReadonlyMap<string, readonly JourneyTypePattern[]> | undefined;

  /** Without a config every tenant may use every type. */
  constructor(tenants: TenantTypesConfig | undefined) {
    this.tenants = tenants === undefined ? undefined : new Map(Object.entries(tenants).map(([tenant, { journeyTypes }]) => [tenant, journeyTypes]));
  }

  /** Whether tenants are listed at all (then their names are few and known: fit for metric labels). */
  get listed(): boolean {
    return this.tenants !== undefined;
  }

  mayUse(tenant: string, journeyType: string): boolean {
    if (this.tenants === undefined) return true;
    return (this.tenants.get(tenant) ?? []).some(
      (pattern) => pattern === '*' || pattern === journeyType || (pattern.endsWith('/*') && journeyType.startsWith(pattern.slice(0, -1))),
    );
  }

  /** Refuses (JE_ACCESS_DENIED, `details.reason` `tenant`) a journey type the tenant may not use. */
  assertMayUse(tenant: string, journeyType: string): void {
    if (this.mayUse(tenant, journeyType)) return;
    throw new JourneyError('JE_ACCESS_DENIED', `Tenant ${tenant} may not use journeys of type ${journeyType}`, {
      details: { tenant, journeyType, reason: 'tenant' },
    });
  }
}
